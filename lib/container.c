#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "json.h"
#include "lscache.h"
#include "protocol.h"
#include "monitor.h"
#include "userns.h"
#include "util.h"
#include "banned.h"

/* For quoting user input into messages (tk_quote). */
static char qbuf[96];

#define CT_JSON "container.json"

struct ct_dirs;
static void state_in(struct ct_dirs *d, struct tk_container *c);
static bool state_rest(struct ct_dirs *d, struct tk_container *c, struct stat *exit_st);
static int state_cached(struct ct_dirs *d, struct ls_cache *lc, struct tk_container *c,
			struct stat *exit_st, bool *have_exit, bool *hit);
static pid_t record_pid(int rec, const char *id, long long *started, bool *present);
#define RECORD_UNKNOWN (-2)   /* record_pid(): could not look (errno) */

static char **
json_to_strv(json_t *a)
{
	char **v;
	size_t i, n;

	if (!json_is_array(a))
		return NULL;
	n = json_array_size(a);
	v = xcalloc(n + 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(a, i));
		v[i] = xstrdup(s ? s : "");
	}
	return v;
}

static char *
json_dup_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? xstrdup(s) : NULL;
}

static int
save(int dirfd, const struct tk_container *c, struct tk_err *err)
{
	json_t *o = json_pack("{s:s, s:s?, s:s?, s:s, s:o, s:o, s:o, s:s?, s:s?, s:s?,"
			      " s:I, s:I, s:b, s:b, s:I}",
			      "id", c->id, "name", c->name, "image", c->image,
			      "image_id", c->image_id, "argv", json_from_strv(c->argv),
			      "env", json_from_strv(c->env), "layers", json_from_strv(c->layers),
			      "workdir", c->workdir, "user", c->user, "hostname", c->hostname,
			      "uid", (json_int_t)c->uid, "gid", (json_int_t)c->gid,
			      "net_host", c->net_host, "userns_host", c->userns_host,
			      "created", (json_int_t)c->created);
	char *s;
	int r;

	if (!o)
		return tk_err_set(err, "cannot encode container record");
	if (c->unconfined)
		json_object_set_new(o, "seccomp_unconfined", json_true());
	if (c->limits)
		json_object_set_new(o, "limits", json_from_strv(c->limits));
	if (c->init)
		json_object_set_new(o, "init", json_true());
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	r = write_file_sync_at(dirfd, CT_JSON, s, strlen(s), 0600, false, err);
	free(s);
	return r;
}

static int
containers_dir(struct tk_store *st, struct tk_err *err)
{
	return store_dir(st, "containers", err);
}

static bool name_taken(struct tk_store *st, const char *name);

int
container_clear_status(struct tk_store *st, const struct tk_container *c, struct tk_err *err)
{
	static const char *const files[] = { TK_CT_EXIT, TK_CT_OOM };
	char path[TK_ID_MAX + 32];
	int cts = containers_dir(st, err);

	if (cts < 0)
		return -1;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", c->id, files[i]);
		if (unlinkat(cts, path, 0) < 0 && errno != ENOENT) {
			tk_err_errno(err, "cannot remove %s of container %.12s", files[i], c->id);
			close(cts);
			return -1;
		}
	}
	close(cts);
	return 0;
}

int
container_create(struct tk_store *st, struct tk_container *c, struct tk_err *err)
{
	cleanup_close int lock = -1, ctsfd = -1, dfd = -1;
	static const char *const dirs[] = { TK_CT_UPPER, TK_CT_WORK };
	bool spare = false;

	if ((lock = store_lock(st, err)) < 0 || (ctsfd = containers_dir(st, err)) < 0)
		return -1;
	if (c->name && name_taken(st, c->name))
		return tk_err_set(err, "the name '%s' is already in use by a container", c->name);
	if (tk_random_id(c->id, err) < 0)
		return -1;
	/* An emptied directory that a --rm run left (tk-helper(8)) is taken
	 * whole: on a store mounted with "discard", a directory made and
	 * freed costs each run a wait for the disk. */
	for (int i = 0; i < TK_SPARES && !spare; i++) {
		char path[32];
		snprintf(path, sizeof(path), "tmp/spare-%d", i);
		spare = renameat(st->fd, path, ctsfd, c->id) == 0;
	}
	if (!spare && mkdirat(ctsfd, c->id, 0700) < 0)
		return tk_err_errno(err, "cannot create container '%s'", c->id);
	dfd = openat(ctsfd, c->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		goto fail;
	/* upper is the container's / : root inside (the caller) owns it. */
	for (size_t i = 0; i < 2 && !spare; i++)
		if (mkdirat(dfd, dirs[i], 0755) < 0)
			goto fail;
	c->created = tk_now();
	if (save(dfd, c, err) < 0) {
		rm_tree_at(ctsfd, c->id, NULL);
		return -1;
	}
	return 0;
fail:
	tk_err_errno(err, "cannot create container '%s'", c->id);
	rm_tree_at(ctsfd, c->id, NULL);
	return -1;
}

/*
 * Reading containers. A listing of a thousand containers should cost a
 * few milliseconds, so every container costs as few system calls as it
 * can: containers/ and the record directory are opened once, files are
 * opened by "ID/name" beneath containers/ (the ID checked once to be a
 * directory, not a symlink), a record that is not there is one failed
 * openat, and a container that is not wanted is never parsed.
 */
struct ct_dirs {
	int cts;   /* containers/ of the store */
	int rec;   /* TK_RUNDIR/<uid>, O_PATH; -1: none, so nothing of ours runs */
	int lack;  /* errno when out of descriptors or memory: the state is unknown */
};

static int
ct_dirs_open(struct tk_store *st, struct ct_dirs *d, struct tk_err *err)
{
	char path[64];

	d->lack = 0;
	if ((d->cts = containers_dir(st, err)) < 0)
		return -1;
	/* 0711: searchable by its user, not listable (records by name). */
	snprintf(path, sizeof(path), TK_RUNDIR "/%u", (unsigned)getuid());
	d->rec = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return 0;
}

static void
ct_dirs_close(struct ct_dirs *d)
{
	if (d->cts >= 0)
		close(d->cts);
	if (d->rec >= 0)
		close(d->rec);
	d->cts = d->rec = -1;
}

/* id names a directory of containers/, not a symlink or a file. */
static bool
ct_is_dir(int cts, const char *id, unsigned char d_type)
{
	struct stat sb;

	if (d_type != DT_UNKNOWN)
		return d_type == DT_DIR;
	return fstatat(cts, id, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(sb.st_mode);
}

static int
ct_open(int cts, const char *id, const char *name)
{
	char path[TK_ID_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", id, name);
	return openat(cts, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
}

/* container.json: one read for any record of ordinary size. */
static char *
ct_read_json(int cts, const char *id, struct tk_err *err)
{
	cleanup_close int fd = ct_open(cts, id, CT_JSON);
	size_t cap = 4096, n = 0;
	char *buf;
	ssize_t r;

	if (fd < 0) {
		tk_err_errno(err, "container '%.12s': cannot read its record", id);
		return NULL;
	}
	buf = xmalloc(cap);
	for (;;) {
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			tk_err_errno(err, "container '%.12s': cannot read its record", id);
			return NULL;
		}
		n += (size_t)r;
		/* A short read of a regular file is its end. */
		if (n < cap - 1 || r == 0)
			break;
		if (cap >= (1u << 24)) {
			free(buf);
			tk_err_set(err, "container '%.12s': its record is too large", id);
			return NULL;
		}
		cap *= 2;
		buf = xrealloc(buf, cap);
	}
	buf[n] = 0;
	return buf;
}

static int
ct_parse(const char *id, const char *buf, struct tk_container *c, struct tk_err *err)
{
	json_error_t je;
	json_t *o = json_loads(buf, 0, &je);

	if (!json_is_object(o)) {
		json_decref(o);
		return tk_err_set(err, "container '%.12s': bad record: %s", id, je.text);
	}
	if (c->id != id)
		snprintf(c->id, sizeof(c->id), "%s", id);
	c->name = json_dup_str(o, "name");
	c->image = json_dup_str(o, "image");
	snprintf(c->image_id, sizeof(c->image_id), "%s",
		 json_string_value(json_object_get(o, "image_id")) ?: "");
	c->argv = json_to_strv(json_object_get(o, "argv"));
	c->env = json_to_strv(json_object_get(o, "env"));
	c->layers = json_to_strv(json_object_get(o, "layers"));
	c->workdir = json_dup_str(o, "workdir");
	c->user = json_dup_str(o, "user");
	c->hostname = json_dup_str(o, "hostname");
	c->uid = (uint32_t)json_integer_value(json_object_get(o, "uid"));
	c->gid = (uint32_t)json_integer_value(json_object_get(o, "gid"));
	c->net_host = json_is_true(json_object_get(o, "net_host"));
	c->userns_host = json_is_true(json_object_get(o, "userns_host"));
	c->unconfined = json_is_true(json_object_get(o, "seccomp_unconfined"));
	c->limits = json_to_strv(json_object_get(o, "limits"));
	c->init = json_is_true(json_object_get(o, "init"));
	c->created = json_integer_value(json_object_get(o, "created"));
	json_decref(o);
	return 0;
}

/* container.json of id into c; its state only when asked. */
static int
ct_load(struct ct_dirs *d, const char *id, struct tk_container *c, bool state,
	struct tk_err *err)
{
	cleanup_free char *buf = NULL;

	memset(c, 0, sizeof(*c));
	if (!(buf = ct_read_json(d->cts, id, err)) || ct_parse(id, buf, c, err) < 0)
		return -1;
	if (state)
		state_in(d, c);
	if (d->lack) {
		errno = d->lack;
		tk_err_errno(err, "cannot read the state of container '%.12s'", id);
		container_free(c);
		return -1;
	}
	return 0;
}

int
container_load(struct tk_store *st, const char *id, struct tk_container *c, struct tk_err *err)
{
	struct ct_dirs d;
	int r;

	memset(c, 0, sizeof(*c));
	if (!tk_valid_hex64(id))
		return tk_err_set(err, "no such container: '%s'", tk_quote(id, qbuf, sizeof(qbuf)));
	if (ct_dirs_open(st, &d, err) < 0)
		return -1;
	if (!ct_is_dir(d.cts, id, DT_UNKNOWN)) {
		ct_dirs_close(&d);
		return tk_err_set(err, "no such container: '%s'", tk_quote(id, qbuf, sizeof(qbuf)));
	}
	r = ct_load(&d, id, c, true, err);
	ct_dirs_close(&d);
	return r;
}

static int
cmp_created(const void *a, const void *b)
{
	const struct tk_container *x = a, *y = b;
	return x->created < y->created ? 1 : x->created > y->created ? -1 : strcmp(x->id, y->id);
}

/* container_scan(), with tk-ls's cache (lscache.h) when lc is not NULL. */
static int
scan(struct tk_store *st, enum tk_filter f, struct ls_cache *lc, struct tk_container **out,
     size_t *nout, struct tk_err *err)
{
	struct tk_container *cs = NULL;
	struct ct_dirs d;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *dir;
	int fd;

	*out = NULL;
	*nout = 0;
	if (ct_dirs_open(st, &d, err) < 0)
		return -1;
	/* No record directory: nothing is running. */
	if (f == TK_ONLY_RUNNING && d.rec < 0) {
		ct_dirs_close(&d);
		return 0;
	}
	if ((fd = dup(d.cts)) < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		ct_dirs_close(&d);
		return tk_err_errno(err, "cannot read containers");
	}
	if (lc) {
		/* The time first, then the stamp: lscache.c says why. */
		struct timespec before;
		struct stat rsb;
		bool have = clock_gettime(CLOCK_REALTIME, &before) == 0 && d.rec >= 0 &&
			    fstat(d.rec, &rsb) == 0;
		ls_cache_records(lc, have ? &rsb : NULL, &before);
	}
	while ((de = readdir(dir))) {
		struct tk_container c = { 0 };
		cleanup_free char *buf = NULL;
		struct tk_err e2;
		struct stat exit_st;
		bool have_exit = false, hit = false;
		int ci = -1;   /* c's entry in the cache, which has its summary */

		if (!tk_valid_hex64(de->d_name) || !ct_is_dir(d.cts, de->d_name, de->d_type))
			continue;
		/* The state first: it decides whether the record is read. */
		memcpy(c.id, de->d_name, sizeof(c.id));   /* 64 digits and NUL */
		if (f == TK_ONLY_RUNNING) {
			c.pid = record_pid(d.rec, c.id, &c.started, NULL);
			if (c.pid == RECORD_UNKNOWN)
				d.lack = errno;
			else if (c.pid <= 0)
				continue;
			c.state = TK_RUNNING;
			c.exit_code = -1;
		} else {
			if (lc)
				ci = state_cached(&d, lc, &c, &exit_st, &have_exit, &hit);
			else
				state_in(&d, &c);
			if (!d.lack && f == TK_ONLY_EXITED && c.state != TK_EXITED) {
				if (lc)
					ls_cache_keep(lc, ci);
				container_free(&c);
				continue;
			}
		}
		/* Being created or removed right now: left out. Never so
		 * for want of descriptors or memory: tk-ls tells the truth
		 * or fails. */
		if (!d.lack && ci < 0 && !(buf = ct_read_json(d.cts, c.id, &e2)) &&
		    tk_errno_is_resource(e2.code))
			d.lack = e2.code;
		if (d.lack) {
			errno = d.lack;
			tk_err_errno(err, "cannot read container '%.12s'", c.id);
			container_free(&c);
			container_list_free(cs, n);
			closedir(dir);
			ct_dirs_close(&d);
			return -1;
		}
		if (ci < 0 && (!buf || ct_parse(c.id, buf, &c, NULL) < 0)) {
			container_free(&c);
			continue;
		}
		if (lc && hit)
			ls_cache_keep(lc, ci);
		else if (lc)
			ls_cache_put(lc, &c, have_exit ? &exit_st : NULL);
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			cs = xrealloc(cs, cap * sizeof(*cs));
		}
		cs[n++] = c;
	}
	closedir(dir);
	ct_dirs_close(&d);
	if (n)
		qsort(cs, n, sizeof(*cs), cmp_created);
	*out = cs;
	*nout = n;
	return 0;
}

int
container_scan(struct tk_store *st, enum tk_filter f, struct tk_container **out, size_t *nout,
	       struct tk_err *err)
{
	return scan(st, f, NULL, out, nout, err);
}

int
container_summaries(struct tk_store *st, enum tk_filter f, struct tk_container **out,
		    size_t *nout, struct tk_err *err)
{
	struct ls_cache *lc;
	int r;

	/* Running ones only: no container without a record is read. */
	if (f == TK_ONLY_RUNNING)
		return scan(st, f, NULL, out, nout, err);
	lc = ls_cache_open(st);
	r = scan(st, f, lc, out, nout, err);
	ls_cache_close(lc, r == 0 ? st : NULL);
	return r;
}

int
container_list(struct tk_store *st, struct tk_container **out, size_t *nout, struct tk_err *err)
{
	return container_scan(st, TK_ALL, out, nout, err);
}

/* Whether container id is named name. Most are not, and cheaply so: a
 * name is [a-z0-9_.-], which JSON never escapes, so the record of the
 * one named so has the name in it as it is. */
static bool
ct_named(struct ct_dirs *d, const char *id, const char *name)
{
	struct tk_err e;
	cleanup_free char *buf = ct_read_json(d->cts, id, &e);
	struct tk_container c = { 0 };
	bool yes;

	if (!buf && tk_errno_is_resource(e.code))
		d->lack = e.code;
	if (!buf || !strstr(buf, name) || ct_parse(id, buf, &c, NULL) < 0)
		return false;
	yes = c.name && !strcmp(c.name, name);
	container_free(&c);
	return yes;
}

/* The container called name, or whose id starts with it, into id; 0 when
 * there is none, -1 and err when the prefix matches several. Names go
 * first (they are unique in a store). */
static int
ct_find(struct ct_dirs *d, const char *ref, bool prefix, char id[65], struct tk_err *err)
{
	size_t len = strlen(ref);
	int fd = dup(d->cts), matches = 0, named = 0;
	struct dirent *de;
	DIR *dir;

	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return tk_err_errno(err, "cannot read containers");
	}
	while (!named && (de = readdir(dir))) {
		if (!tk_valid_hex64(de->d_name) || !ct_is_dir(d->cts, de->d_name, de->d_type))
			continue;
		if (ct_named(d, de->d_name, ref)) {
			named = 1;
			memcpy(id, de->d_name, 65);
		} else if (prefix && !strncmp(de->d_name, ref, len) && matches++ == 0) {
			memcpy(id, de->d_name, 65);
		}
	}
	closedir(dir);
	if (d->lack) {
		errno = d->lack;
		return tk_err_errno(err, "cannot look for container '%s'",
				    tk_quote(ref, qbuf, sizeof(qbuf)));
	}
	if (!named && matches > 1)
		return tk_err_set(err, "'%s' matches %d containers: give more of the id",
				  tk_quote(ref, qbuf, sizeof(qbuf)), matches);
	return named || matches ? 1 : 0;
}

static bool
name_taken(struct tk_store *st, const char *name)
{
	struct ct_dirs d;
	char id[65];
	int r;

	if (ct_dirs_open(st, &d, NULL) < 0)
		return false;
	r = ct_find(&d, name, false, id, NULL);
	ct_dirs_close(&d);
	return r > 0;
}

int
container_resolve(struct tk_store *st, const char *ref, struct tk_container *c,
		  struct tk_err *err)
{
	struct ct_dirs d;
	struct tk_err e2 = { 0 };
	char id[65];
	int r;

	memset(c, 0, sizeof(*c));
	if (!tk_valid_name(ref))
		return tk_err_set(err, "no such container: '%s'", tk_quote(ref, qbuf, sizeof(qbuf)));
	if (ct_dirs_open(st, &d, err) < 0)
		return -1;
	/* A full ID names its container, without reading any other. */
	if (tk_valid_hex64(ref) && ct_is_dir(d.cts, ref, DT_UNKNOWN) &&
	    ct_load(&d, ref, c, true, &e2) == 0) {
		ct_dirs_close(&d);
		return 0;
	}
	r = tk_errno_is_resource(e2.code) ? -1 : ct_find(&d, ref, true, id, err);
	if (r > 0 && ct_load(&d, id, c, true, &e2) < 0)
		r = tk_errno_is_resource(e2.code) ? -1 : 0;   /* 0: removed meanwhile */
	ct_dirs_close(&d);
	if (r < 0 && tk_errno_is_resource(e2.code) && err)
		*err = e2;
	if (r == 0)
		return tk_err_set(err, "no such container: '%s'", tk_quote(ref, qbuf, sizeof(qbuf)));
	return r < 0 ? -1 : 0;
}

/* "<pid> <starttime>" from the helper's record; pid > 0 when the process
 * named there is still the one that was recorded, -1 when the record is
 * stale, 0 when there is none. *present (unless NULL): there is a record
 * file, whatever it says. */
static pid_t
record_pid(int rec, const char *id, long long *started, bool *present)
{
	char path[32], buf[64], stat[1024];
	unsigned long long want;
	int pid = 0, fd;
	ssize_t r;

	if (rec < 0)
		return 0;
	fd = openat(rec, id, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT && present)
		*present = true;   /* not known to be absent */
	if (fd < 0)
		return tk_errno_is_resource(errno) ? RECORD_UNKNOWN : 0;
	if (present)
		*present = true;
	r = read(fd, buf, sizeof(buf) - 1);
	if (started) {
		struct stat sb;
		*started = fstat(fd, &sb) == 0 ? (long long)sb.st_mtime : 0;
	}
	close(fd);
	if (r <= 0)
		return 0;
	buf[r] = 0;
	if (sscanf(buf, "%d %llu", &pid, &want) != 2 || pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return tk_errno_is_resource(errno) ? RECORD_UNKNOWN : -1;
	r = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	stat[r] = 0;
	if (tk_stat_starttime(stat) != want)
		return -1;
	/* A zombie has ended: its parent was killed and whoever inherited
	 * it has not reaped it yet. */
	const char *st = strrchr(stat, ')');
	if (st && (st[2] == 'Z' || st[2] == 'X'))
		return -1;
	return pid;
}

/* record_pid() for one container, opening the record directory. */
static pid_t
record_pid_of(const char *id)
{
	char path[64];
	cleanup_close int rec = -1;

	snprintf(path, sizeof(path), TK_RUNDIR "/%u", (unsigned)getuid());
	rec = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return record_pid(rec, id, NULL, NULL);
}

/* Running: the helper's record names a live process. Otherwise the exit
 * file, when the helper wrote one, gives the status; a stale record alone
 * means the run was killed before it could write one. */
static void
state_in(struct ct_dirs *d, struct tk_container *c)
{
	c->exit_code = -1;
	c->finished = 0;
	c->oom_killed = false;
	c->pid = record_pid(d->rec, c->id, &c->started, NULL);
	state_rest(d, c, NULL);
}

/* The state for tk-ls, and its summary when the cache has it. A stopped
 * container whose exit file has the stamp the cache keeps costs two
 * system calls: its record (always read: running is never cached) and
 * the stat of its exit file (taken only when the cache has a status to
 * check it against). Returns the cache entry, -1 for none; *hit
 * when the state came from it, else *have_exit when state_rest() read an
 * exit file, with its stat in *exit_st. */
static int
state_cached(struct ct_dirs *d, struct ls_cache *lc, struct tk_container *c,
	     struct stat *exit_st, bool *have_exit, bool *hit)
{
	char path[TK_ID_MAX + 32];
	struct stat sb;
	int ci;

	*have_exit = *hit = false;
	c->exit_code = -1;
	c->finished = 0;
	c->oom_killed = false;
	if (ls_cache_no_record(lc, c->id)) {
		c->pid = 0;
	} else {
		bool present = false;
		c->pid = record_pid(d->rec, c->id, &c->started, &present);
		if (present)
			ls_cache_record_seen(lc, c->id);
	}
	if (c->pid > 0 || c->pid == RECORD_UNKNOWN) {
		state_rest(d, c, NULL);
		return ls_cache_get(lc, c->id, NULL, c, hit);
	}
	snprintf(path, sizeof(path), "%s/" TK_CT_EXIT, c->id);
	if (!ls_cache_has_exit(lc, c->id)) {
		ci = ls_cache_get(lc, c->id, NULL, c, hit);
	} else if (fstatat(d->cts, path, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		ci = ls_cache_get(lc, c->id, &sb, c, hit);
		if (*hit) {
			c->pid = 0;
			return ci;
		}
	} else if (tk_errno_is_resource(errno)) {
		d->lack = errno;
		return -1;
	} else {
		ci = ls_cache_get(lc, c->id, NULL, c, hit);
	}
	*have_exit = state_rest(d, c, exit_st);
	return ci;
}

/* state_in() once the record was read. True when an exit file was read,
 * with its stat, taken before the read, in *exit_st (when not NULL). */
static bool
state_rest(struct ct_dirs *d, struct tk_container *c, struct stat *exit_st)
{
	char buf[16];
	struct stat sb;
	bool have_stat;
	int fd;
	ssize_t r;

	if (c->pid > 0) {
		c->state = TK_RUNNING;
		return false;
	}
	if (c->pid == RECORD_UNKNOWN) {
		d->lack = errno;
		c->pid = 0;
		return false;
	}
	c->state = c->pid < 0 ? TK_EXITED : TK_CREATED;
	c->pid = 0;
	fd = ct_open(d->cts, c->id, TK_CT_EXIT);
	if (fd < 0 && tk_errno_is_resource(errno)) {
		d->lack = errno;
		return false;
	}
	if (fd < 0) {
		/* No record and no status, but a detached run did start: the
		 * record went with a reboot. */
		if (c->state == TK_CREATED) {
			char path[TK_ID_MAX + 32];
			snprintf(path, sizeof(path), "%s/" TK_CT_STARTED, c->id);
			if (faccessat(d->cts, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
				c->state = TK_EXITED;
		}
		return false;
	}
	/* The stat before the read: a cache keyed by the stat then never
	 * holds a status older than the file it names (lscache.h). */
	have_stat = fstat(fd, &sb) == 0;
	r = read(fd, buf, sizeof(buf) - 1);
	c->finished = have_stat ? (long long)sb.st_mtime : 0;
	close(fd);
	c->state = TK_EXITED;
	{
		char path[TK_ID_MAX + 32];
		snprintf(path, sizeof(path), "%s/" TK_CT_OOM, c->id);
		c->oom_killed = faccessat(d->cts, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	}
	if (r > 0) {
		buf[r] = 0;
		c->exit_code = (int)strtol(buf, NULL, 10);
	}
	if (exit_st && have_stat)
		*exit_st = sb;
	return have_stat && r >= 0;
}

void
container_state(struct tk_store *st, struct tk_container *c)
{
	struct ct_dirs d;

	if (ct_dirs_open(st, &d, NULL) < 0)
		return;
	if (ct_is_dir(d.cts, c->id, DT_UNKNOWN))
		state_in(&d, c);
	ct_dirs_close(&d);
}

void
container_free(struct tk_container *c)
{
	free(c->name);
	free(c->image);
	strv_free(c->argv);
	strv_free(c->env);
	strv_free(c->layers);
	strv_free(c->limits);
	free(c->workdir);
	free(c->user);
	free(c->hostname);
	memset(c, 0, sizeof(*c));
}

void
container_list_free(struct tk_container *cs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		container_free(&cs[i]);
	free(cs);
}

const char *
container_status_name(const struct tk_container *c)
{
	if (c->state == TK_RUNNING)
		return "running";
	if (c->state == TK_EXITED)
		return c->oom_killed ? "oom-killed" : "exited";
	return "created";
}

char *
container_command(const struct tk_container *c)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; c->argv && c->argv[i]; i++)
		len += strlen(c->argv[i]) + 1;
	s = xcalloc(1, len);
	for (size_t i = 0; c->argv && c->argv[i]; i++) {
		if (i)
			strncat(s, " ", len - strlen(s) - 1);
		strncat(s, c->argv[i], len - strlen(s) - 1);
	}
	return s;
}

int
container_pidfd(const struct tk_container *c, int *pidfd, pid_t *pidp, struct tk_err *err)
{
	pid_t pid = record_pid_of(c->id);
	int fd;

	*pidfd = -1;
	if (pidp)
		*pidp = -1;
	if (pid == RECORD_UNKNOWN)
		return tk_err_errno(err, "cannot reach container '%.12s'", c->id);
	if (pid <= 0)
		return 0;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return errno == ESRCH ? 0 : tk_err_errno(err, "cannot reach container '%.12s'", c->id);
	/* The pidfd pins the process; check it is still the recorded one. */
	if (record_pid_of(c->id) != pid) {
		close(fd);
		return 0;
	}
	*pidfd = fd;
	if (pidp)
		*pidp = pid;
	return 0;
}

int
container_wait_finished(struct tk_store *st, const struct tk_container *c)
{
	char path[128];
	cleanup_close int dfd = -1;

	snprintf(path, sizeof(path), "containers/%s", c->id);
	dfd = openat(st->fd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return 0;
	while (flock(dfd, LOCK_SH) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* Whether the process behind pidfd ended within ms milliseconds (-1:
 * wait for it). */
static bool
pidfd_wait(int pidfd, int ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	int r;

	while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	return r > 0;
}

int
container_stop(const struct tk_container *c, int sig, int timeout_ms, struct tk_err *err)
{
	cleanup_close int pidfd = -1;

	if (container_pidfd(c, &pidfd, NULL, err) < 0)
		return -1;
	if (pidfd < 0)
		return 0;   /* not running */
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 && errno != ESRCH)
		return tk_err_errno(err, "cannot signal container '%.12s'", c->id);
	if (sig == SIGKILL || pidfd_wait(pidfd, timeout_ms))
		return pidfd_wait(pidfd, -1), 0;
	if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
		return tk_err_errno(err, "cannot kill container '%.12s'", c->id);
	pidfd_wait(pidfd, -1);
	return 0;
}

int
container_discard(struct tk_store *st, struct tk_container *c, struct tk_err *err)
{
	cleanup_close int ctsfd = containers_dir(st, err);

	if (ctsfd < 0)
		return -1;
	/* No user namespace to set up (a helper run each): a hundred
	 * refused starts at once must not fail for want of one. */
	if (rm_tree_at(ctsfd, c->id, NULL) == 0)
		return 0;
	return container_delete(st, c, err);
}

int
container_delete(struct tk_store *st, struct tk_container *c, struct tk_err *err)
{
	cleanup_close int ctsfd = containers_dir(st, err), dfd = -1;

	if (ctsfd < 0)
		return -1;
	/* The helper that ran it holds this lock until it has written the
	 * exit status; wait for it. */
	dfd = openat(ctsfd, c->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : tk_err_errno(err, "cannot open container '%.12s'", c->id);
	while (flock(dfd, LOCK_EX) < 0)
		if (errno != EINTR)
			return tk_err_errno(err, "cannot lock container '%.12s'", c->id);
	return userns_rm_tree(ctsfd, c->id, err);
}
