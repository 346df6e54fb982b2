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
#include <unistd.h>

#include "container.h"
#include "protocol.h"
#include "monitor.h"
#include "userns.h"
#include "util.h"
#include "banned.h"

/* For quoting user input into messages (tk_quote). */
static char qbuf[96];

#define CT_JSON "container.json"

static void state_at(int dfd, struct tk_container *c);

static json_t *
strv_to_json(char **v)
{
	json_t *a = json_array();

	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

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
json_str(json_t *o, const char *key)
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
			      "image_id", c->image_id, "argv", strv_to_json(c->argv),
			      "env", strv_to_json(c->env), "layers", strv_to_json(c->layers),
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
		json_object_set_new(o, "limits", strv_to_json(c->limits));
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

static bool
name_taken(struct tk_store *st, const char *name)
{
	struct tk_container *cs = NULL;
	size_t n = 0;
	bool taken = false;

	if (container_list(st, &cs, &n, NULL) < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (cs[i].name && !strcmp(cs[i].name, name))
			taken = true;
	container_list_free(cs, n);
	return taken;
}

int
container_create(struct tk_store *st, struct tk_container *c, struct tk_err *err)
{
	cleanup_close int lock = -1, ctsfd = -1, dfd = -1;
	static const char *const dirs[] = { TK_CT_UPPER, TK_CT_WORK };

	if ((lock = store_lock(st, err)) < 0 || (ctsfd = containers_dir(st, err)) < 0)
		return -1;
	if (c->name && name_taken(st, c->name))
		return tk_err_set(err, "the name '%s' is already in use by a container", c->name);
	if (tk_random_id(c->id, err) < 0)
		return -1;
	if (mkdirat(ctsfd, c->id, 0700) < 0)
		return tk_err_errno(err, "cannot create container '%s'", c->id);
	dfd = openat(ctsfd, c->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		goto fail;
	/* upper is the container's / : root inside (the caller) owns it. */
	for (size_t i = 0; i < 2; i++)
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

int
container_load(struct tk_store *st, const char *id, struct tk_container *c, struct tk_err *err)
{
	cleanup_close int ctsfd = -1, dfd = -1;
	cleanup_free char *buf = NULL;
	json_t *o;
	json_error_t je;

	memset(c, 0, sizeof(*c));
	if (!tk_valid_hex64(id))
		return tk_err_set(err, "no such container: '%s'", tk_quote(id, qbuf, sizeof(qbuf)));
	if ((ctsfd = containers_dir(st, err)) < 0)
		return -1;
	dfd = openat(ctsfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return tk_err_set(err, "no such container: '%s'", tk_quote(id, qbuf, sizeof(qbuf)));
	if (!(buf = read_file_at(dfd, CT_JSON, 1 << 24, NULL, err)))
		return -1;
	o = json_loads(buf, 0, &je);
	if (!json_is_object(o)) {
		json_decref(o);
		return tk_err_set(err, "container '%.12s': bad record: %s", id, je.text);
	}
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->name = json_str(o, "name");
	c->image = json_str(o, "image");
	snprintf(c->image_id, sizeof(c->image_id), "%s",
		 json_string_value(json_object_get(o, "image_id")) ?: "");
	c->argv = json_to_strv(json_object_get(o, "argv"));
	c->env = json_to_strv(json_object_get(o, "env"));
	c->layers = json_to_strv(json_object_get(o, "layers"));
	c->workdir = json_str(o, "workdir");
	c->user = json_str(o, "user");
	c->hostname = json_str(o, "hostname");
	c->uid = (uint32_t)json_integer_value(json_object_get(o, "uid"));
	c->gid = (uint32_t)json_integer_value(json_object_get(o, "gid"));
	c->net_host = json_is_true(json_object_get(o, "net_host"));
	c->userns_host = json_is_true(json_object_get(o, "userns_host"));
	c->unconfined = json_is_true(json_object_get(o, "seccomp_unconfined"));
	c->limits = json_to_strv(json_object_get(o, "limits"));
	c->init = json_is_true(json_object_get(o, "init"));
	c->created = json_integer_value(json_object_get(o, "created"));
	json_decref(o);
	state_at(dfd, c);
	return 0;
}

static int
cmp_created(const void *a, const void *b)
{
	const struct tk_container *x = a, *y = b;
	return x->created < y->created ? 1 : x->created > y->created ? -1 : strcmp(x->id, y->id);
}

int
container_list(struct tk_store *st, struct tk_container **out, size_t *nout, struct tk_err *err)
{
	int ctsfd = containers_dir(st, err);
	struct tk_container *cs = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	if (ctsfd < 0)
		return -1;
	if (!(d = fdopendir(ctsfd))) {
		close(ctsfd);
		return tk_err_errno(err, "cannot read containers");
	}
	while ((de = readdir(d))) {
		struct tk_container c;
		if (!tk_valid_hex64(de->d_name))
			continue;
		if (container_load(st, de->d_name, &c, NULL) < 0)
			continue;   /* being created or removed right now */
		cs = xrealloc(cs, (n + 1) * sizeof(*cs));
		cs[n++] = c;
	}
	closedir(d);
	if (n)
		qsort(cs, n, sizeof(*cs), cmp_created);
	*out = cs;
	*nout = n;
	return 0;
}

int
container_resolve(struct tk_store *st, const char *ref, struct tk_container *c,
		  struct tk_err *err)
{
	struct tk_container *cs = NULL;
	size_t n = 0, len = strlen(ref);
	int found = -1, matches = 0;

	if (!tk_valid_name(ref))
		return tk_err_set(err, "no such container: '%s'", tk_quote(ref, qbuf, sizeof(qbuf)));
	if (container_list(st, &cs, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (cs[i].name && !strcmp(cs[i].name, ref))
			found = (int)i;
	if (found < 0) {
		for (size_t i = 0; i < n; i++)
			if (!strncmp(cs[i].id, ref, len)) {
				found = (int)i;
				matches++;
			}
		if (matches > 1) {
			container_list_free(cs, n);
			return tk_err_set(err, "'%s' matches %d containers: give more of the id",
					  tk_quote(ref, qbuf, sizeof(qbuf)), matches);
		}
	}
	if (found < 0) {
		container_list_free(cs, n);
		return tk_err_set(err, "no such container: '%s'", tk_quote(ref, qbuf, sizeof(qbuf)));
	}
	*c = cs[found];
	memset(&cs[found], 0, sizeof(cs[found]));
	container_list_free(cs, n);
	return 0;
}

static long long
mtime_at(int dirfd, const char *name)
{
	struct stat sb;
	return fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 ? (long long)sb.st_mtime : 0;
}

/* "<pid> <starttime>" from the helper's record; pid > 0 when the process
 * named there is still the one that was recorded. */
static pid_t
record_pid(const char *id, long long *started)
{
	char path[128], buf[64], stat[1024];
	unsigned long long want;
	int pid = 0, fd;
	ssize_t r;

	snprintf(path, sizeof(path), TK_RUNDIR "/%u/%s", (unsigned)getuid(), id);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
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
		return -1;
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

/* Running: the helper's record names a live process. Otherwise the exit
 * file, when the helper wrote one, gives the status; a stale record alone
 * means the run was killed before it could write one. */
static void
state_at(int dfd, struct tk_container *c)
{
	char buf[16];
	int fd;
	ssize_t r;

	c->exit_code = -1;
	c->finished = 0;
	c->pid = record_pid(c->id, &c->started);
	if (c->pid > 0) {
		c->state = TK_RUNNING;
		return;
	}
	c->state = c->pid < 0 ? TK_EXITED : TK_CREATED;
	c->pid = 0;
	fd = openat(dfd, TK_CT_EXIT, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		/* No record and no status, but a detached run did start: the
		 * record went with a reboot. */
		if (c->state == TK_CREATED && mtime_at(dfd, TK_CT_STARTED))
			c->state = TK_EXITED;
		return;
	}
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	c->state = TK_EXITED;
	c->finished = mtime_at(dfd, TK_CT_EXIT);
	c->oom_killed = faccessat(dfd, TK_CT_OOM, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	if (r > 0) {
		buf[r] = 0;
		c->exit_code = (int)strtol(buf, NULL, 10);
	}
}

void
container_state(struct tk_store *st, struct tk_container *c)
{
	char path[128];
	cleanup_close int dfd = -1;

	snprintf(path, sizeof(path), "containers/%s", c->id);
	dfd = openat(st->fd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0)
		state_at(dfd, c);
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
container_pidfd(const struct tk_container *c, int *pidfd, struct tk_err *err)
{
	pid_t pid = record_pid(c->id, NULL);
	int fd;

	*pidfd = -1;
	if (pid <= 0)
		return 0;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return errno == ESRCH ? 0 : tk_err_errno(err, "cannot reach container '%.12s'", c->id);
	/* The pidfd pins the process; check it is still the recorded one. */
	if (record_pid(c->id, NULL) != pid) {
		close(fd);
		return 0;
	}
	*pidfd = fd;
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

int
container_kill(struct tk_container *c, int sig, bool wait, struct tk_err *err)
{
	pid_t pid = record_pid(c->id, NULL);
	int pidfd;

	if (pid <= 0)
		return 0;   /* not running */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return errno == ESRCH ? 0 : tk_err_errno(err, "cannot reach container '%.12s'", c->id);
	/* The pidfd pins the process; check it is still the recorded one. */
	if (record_pid(c->id, NULL) != pid) {
		close(pidfd);
		return 0;
	}
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 && errno != ESRCH) {
		tk_err_errno(err, "cannot signal container '%.12s'", c->id);
		close(pidfd);
		return -1;
	}
	if (wait) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		while (poll(&p, 1, -1) < 0 && errno == EINTR)
			;
	}
	close(pidfd);
	return 0;
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
