#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container.h"
#include "image.h"
#include "json.h"
#include "userns.h"
#include "util.h"
#include "banned.h"

/* For quoting user input into messages (tk_quote). */
static char qbuf[96];

#define RECORD_MAX (4 << 20)

static bool
is_hex(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

int
image_normalize_name(const char *in, char *buf, size_t n, struct tk_err *err)
{
	const char *slash = strrchr(in, '/'), *colon = strrchr(in, ':');
	const char *first_end = strchr(in, '/');
	size_t len = strlen(in);
	bool has_tag = colon && (!slash || colon > slash);

	if (len == 0 || len > 255)
		return tk_err_set(err, "invalid image name '%s'", tk_quote(in, qbuf, sizeof(qbuf)));
	for (const char *p = in; *p; p++) {
		bool in_first = first_end && p < first_end;
		bool in_tag = has_tag && p > colon;
		char c = *p;

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		    c == '_' || c == '/')
			continue;
		if (c >= 'A' && c <= 'Z' && (in_tag || in_first))
			continue;
		if (c == ':' && (p == colon || in_first))
			continue;
		return tk_err_set(err, "invalid image name '%s'", tk_quote(in, qbuf, sizeof(qbuf)));
	}
	if (in[0] == '/' || in[0] == '.' || in[0] == '-' || in[len - 1] == '/' ||
	    strstr(in, "//") || strstr(in, "/.") || (has_tag && (colon[1] == 0 ||
	    colon[1] == '.' || colon[1] == '-' || strlen(colon + 1) > 128)))
		return tk_err_set(err, "invalid image name '%s'", tk_quote(in, qbuf, sizeof(qbuf)));
	if ((size_t)snprintf(buf, n, "%s%s", in, has_tag ? "" : ":latest") >= n)
		return tk_err_set(err, "invalid image name '%s'", tk_quote(in, qbuf, sizeof(qbuf)));
	return 0;
}

/* "alpine:3" and "docker.io/library/alpine:3" are the same image. */
static char *
canonical_name(const char *name)
{
	const char *slash = strchr(name, '/');

	if (!slash)
		return xasprintf("docker.io/library/%s", name);
	if (!memchr(name, '.', slash - name) && !memchr(name, ':', slash - name) &&
	    strncmp(name, "localhost/", 10) != 0)
		return xasprintf("docker.io/%s", name);
	if (!strncmp(name, "index.docker.io/", 16))
		return canonical_name(name + 16);
	return xstrdup(name);
}

static bool
names_match(const char *a, const char *b)
{
	cleanup_free char *ca = canonical_name(a);
	cleanup_free char *cb = canonical_name(b);

	return !strcmp(ca, cb);
}

static const char *
json_opt_str(json_t *o, const char *key)
{
	const char *s = json_str(o, key);
	return s;
}

static int
record_parse(const char *buf, size_t len, const char *id, struct tk_image *img,
	     struct tk_err *err)
{
	cleanup_json json_t *j = NULL;
	const char *s;

	memset(img, 0, sizeof(*img));
	j = json_parse_object(buf, len, "image record", err);
	if (!j)
		return -1;
	s = json_str(j, "id");
	if (!s || strcmp(s, id) != 0)
		return tk_err_set(err, "image record '%s' names another id", id);
	memcpy(img->id, id, 65);
	if (json_strv(j, "names", &img->names, err) < 0 ||
	    json_strv(j, "layers", &img->layers, err) < 0 ||
	    json_strv(j, "env", &img->env, err) < 0 ||
	    json_strv(j, "entrypoint", &img->entrypoint, err) < 0 ||
	    json_strv(j, "cmd", &img->cmd, err) < 0) {
		image_free(img);
		return -1;
	}
	if (!img->names)
		img->names = xcalloc(1, sizeof(char *));
	if (!img->layers)
		img->layers = xcalloc(1, sizeof(char *));
	for (size_t i = 0; img->layers[i]; i++) {
		if (!tk_valid_hex64(img->layers[i])) {
			image_free(img);
			return tk_err_set(err, "image record '%s' has a bad layer", id);
		}
	}
	if ((s = json_opt_str(j, "workdir")))
		img->workdir = xstrdup(s);
	if ((s = json_opt_str(j, "user")))
		img->user = xstrdup(s);
	if ((s = json_opt_str(j, "stop_signal")))
		img->stop_signal = xstrdup(s);
	img->created = json_integer_value(json_object_get(j, "created"));
	img->size = json_integer_value(json_object_get(j, "size"));
	return 0;
}

/* A record that is there but is not one (unreadable, not JSON, too large,
 * naming another id): say so with the remedy, code EBADMSG, so that callers
 * tell it from a missing record. */
static int
damaged(struct tk_err *err, const char *id)
{
	char why[sizeof(err->msg)];

	if (!err)
		return -1;
	snprintf(why, sizeof(why), "%s", err->msg);
	tk_err_set(err, "image %.12s: its record is damaged (%s); tk-rm --image %s removes it",
		   id, why, id);
	err->code = EBADMSG;
	return -1;
}

int
image_load(struct tk_store *st, const char *id, struct tk_image *img, struct tk_err *err)
{
	cleanup_close int dfd = -1;
	cleanup_free char *name = NULL, *buf = NULL;
	size_t len;

	if (!tk_valid_hex64(id))
		return tk_err_set(err, "no such image: '%s'", tk_quote(id, qbuf, sizeof(qbuf)));
	dfd = store_dir(st, "images", err);
	if (dfd < 0)
		return -1;
	name = xasprintf("%s.json", id);
	buf = read_file_at(dfd, name, RECORD_MAX, &len, err);
	if (!buf) {
		if (err && err->code == ENOENT)
			tk_err_set(err, "no such image: '%s'", tk_quote(id, qbuf, sizeof(qbuf)));
		else if (err && !tk_errno_is_resource(err->code))
			damaged(err, id);
		return -1;
	}
	if (record_parse(buf, len, id, img, err) < 0)
		return damaged(err, id);
	return 0;
}

void
image_free(struct tk_image *img)
{
	strv_free(img->names);
	strv_free(img->layers);
	strv_free(img->env);
	strv_free(img->entrypoint);
	strv_free(img->cmd);
	free(img->workdir);
	free(img->user);
	free(img->stop_signal);
	memset(img, 0, sizeof(*img));
}

void
image_list_free(struct tk_image *imgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		image_free(&imgs[i]);
	free(imgs);
}

static int
newest_first(const void *a, const void *b)
{
	const struct tk_image *x = a, *y = b;

	if (x->created != y->created)
		return x->created > y->created ? -1 : 1;
	return strcmp(x->id, y->id);
}

int
image_list(struct tk_store *st, struct tk_image **imgs, size_t *n, struct tk_err *err)
{
	return image_scan(st, imgs, n, NULL, NULL, err);
}

int
image_scan(struct tk_store *st, struct tk_image **imgs, size_t *n, char ***bad_ids,
	   char ***bad_whys, struct tk_err *err)
{
	struct tk_image *v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int dfd = store_dir(st, "images", err);

	if (dfd < 0)
		return -1;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return tk_err_errno(err, "cannot read '%s/images'", st->path);
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char id[65];
		struct tk_err e2;

		if (len != 69 || strcmp(de->d_name + 64, ".json") != 0)
			continue;
		memcpy(id, de->d_name, 64);
		id[64] = 0;
		if (!tk_valid_hex64(id))
			continue;
		if (cnt == cap) {
			cap = cap ? 2 * cap : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		/* A record that vanished or is damaged is not an image; the
		 * damaged ones are reported to whoever asks. */
		if (image_load(st, id, &v[cnt], &e2) == 0) {
			cnt++;
		} else if (e2.code == EBADMSG) {
			if (bad_ids)
				strv_push(bad_ids, id);
			if (bad_whys)
				strv_push(bad_whys, e2.msg);
		} else if (tk_errno_is_resource(e2.code)) {
			closedir(d);
			image_list_free(v, cnt);
			if (err)
				*err = e2;
			return -1;
		}
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), newest_first);
	*imgs = v;
	*n = cnt;
	return 0;
}

int
image_resolve(struct tk_store *st, const char *ref, struct tk_image *img, struct tk_err *err)
{
	struct tk_image *all = NULL;
	char norm[300];
	const char *hex = ref;
	size_t n = 0, found = 0, which = 0;
	bool by_name;
	cleanup_strv char **bad_ids = NULL, **bad_whys = NULL;

	if (!ref || !*ref)
		return tk_err_set(err, "no such image: ''");
	by_name = image_normalize_name(ref, norm, sizeof(norm), NULL) == 0;
	if (!strncmp(ref, "sha256:", 7)) {
		hex = ref + 7;
		by_name = false;
	}
	/* A full id needs no listing. A damaged record is an error naming the
	 * image (img->id is set, for tk-rm --image). */
	if (strlen(hex) == 64 && is_hex(hex)) {
		struct tk_err e2;

		if (image_load(st, hex, img, &e2) == 0)
			return 0;
		if (e2.code == EBADMSG) {
			memset(img, 0, sizeof(*img));
			memcpy(img->id, hex, 65);
			if (err)
				*err = e2;
			return -1;
		}
	}
	if (image_scan(st, &all, &n, &bad_ids, &bad_whys, err) < 0)
		return -1;
	if (by_name) {
		for (size_t i = 0; i < n && !found; i++)
			for (size_t k = 0; all[i].names[k]; k++)
				if (names_match(all[i].names[k], norm)) {
					found = 1;
					which = i;
					break;
				}
	}
	if (!found && strlen(hex) >= 3 && strlen(hex) <= 64 && is_hex(hex)) {
		for (size_t i = 0; i < n; i++) {
			if (!strncmp(all[i].id, hex, strlen(hex))) {
				found++;
				which = i;
			}
		}
		if (found > 1) {
			image_list_free(all, n);
			return tk_err_set(err, "image id prefix '%s' is ambiguous", tk_quote(ref, qbuf, sizeof(qbuf)));
		}
	}
	if (!found) {
		size_t nbad = strv_len(bad_ids);

		image_list_free(all, n);
		/* A unique prefix of a damaged record names it. */
		if (strlen(hex) >= 3 && is_hex(hex)) {
			size_t hit = 0, k = 0;

			for (size_t i = 0; i < nbad; i++)
				if (!strncmp(bad_ids[i], hex, strlen(hex)))
					hit++, k = i;
			if (hit == 1) {
				memset(img, 0, sizeof(*img));
				memcpy(img->id, bad_ids[k], 65);
				tk_err_set(err, "%s", bad_whys[k]);
				if (err)
					err->code = EBADMSG;
				return -1;
			}
		}
		if (nbad)
			return tk_err_set(err, "no such image: '%s' (%zu damaged image record%s: "
					  "tk-ls --images names them)",
					  tk_quote(ref, qbuf, sizeof(qbuf)), nbad, nbad == 1 ? "" : "s");
		return tk_err_set(err, "no such image: '%s'", tk_quote(ref, qbuf, sizeof(qbuf)));
	}
	*img = all[which];
	memset(&all[which], 0, sizeof(all[which]));
	image_list_free(all, n);
	return 0;
}

static json_t *
record_build(const struct tk_image *img, const long long *layer_sizes)
{
	json_t *j = json_object();

	json_object_set_new(j, "id", json_string(img->id));
	json_object_set_new(j, "names", json_from_strv(img->names));
	json_object_set_new(j, "layers", json_from_strv(img->layers));
	if (layer_sizes) {
		json_t *a = json_array();
		for (size_t i = 0; img->layers && img->layers[i]; i++)
			json_array_append_new(a, json_integer(layer_sizes[i]));
		json_object_set_new(j, "layer_sizes", a);
	}
	if (img->env)
		json_object_set_new(j, "env", json_from_strv(img->env));
	if (img->entrypoint)
		json_object_set_new(j, "entrypoint", json_from_strv(img->entrypoint));
	if (img->cmd)
		json_object_set_new(j, "cmd", json_from_strv(img->cmd));
	if (img->workdir)
		json_object_set_new(j, "workdir", json_string(img->workdir));
	if (img->user)
		json_object_set_new(j, "user", json_string(img->user));
	if (img->stop_signal)
		json_object_set_new(j, "stop_signal", json_string(img->stop_signal));
	json_object_set_new(j, "created", json_integer(img->created));
	json_object_set_new(j, "size", json_integer(img->size));
	return j;
}

/* Rewrite one record in place, as JSON, keeping members we do not model. */
static int
record_write(int dfd, const char *id, json_t *j, struct tk_err *err)
{
	cleanup_free char *name = xasprintf("%s.json", id);
	cleanup_free char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (!text)
		return tk_err_set(err, "cannot encode image record '%s'", id);
	return write_file_at(dfd, name, text, strlen(text), 0600, err);
}

static json_t *
record_read(int dfd, const char *id, struct tk_err *err)
{
	cleanup_free char *name = xasprintf("%s.json", id);
	cleanup_free char *buf = NULL;
	size_t len;

	buf = read_file_at(dfd, name, RECORD_MAX, &len, err);
	if (!buf)
		return NULL;
	return json_parse_object(buf, len, "image record", err);
}

/* Drop name from every image record but keep_id's. found: set when some
 * record had it. */
static int
names_remove(struct tk_store *st, int dfd, const char *name, const char *keep_id,
	     bool *found, struct tk_err *err)
{
	struct tk_image *all = NULL;
	size_t n = 0;
	int ret = 0;

	if (image_list(st, &all, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && ret == 0; i++) {
		cleanup_json json_t *j = NULL;
		json_t *names, *v;
		size_t k;
		bool changed = false;

		if (keep_id && !strcmp(all[i].id, keep_id))
			continue;
		j = record_read(dfd, all[i].id, err);
		if (!j) {
			ret = -1;
			break;
		}
		names = json_object_get(j, "names");
		if (!json_is_array(names))
			continue;
		for (k = 0; k < json_array_size(names);) {
			v = json_array_get(names, k);
			if (json_is_string(v) && names_match(json_string_value(v), name)) {
				json_array_remove(names, k);
				changed = true;
			} else {
				k++;
			}
		}
		if (changed) {
			if (found)
				*found = true;
			ret = record_write(dfd, all[i].id, j, err);
		}
	}
	image_list_free(all, n);
	return ret;
}

int
image_save(struct tk_store *st, const struct tk_image *img, const long long *layer_sizes,
	   struct tk_err *err)
{
	cleanup_close int dfd = store_dir(st, "images", err);
	cleanup_json json_t *j = NULL;

	if (dfd < 0)
		return -1;
	for (size_t i = 0; img->names && img->names[i]; i++)
		if (names_remove(st, dfd, img->names[i], img->id, NULL, err) < 0)
			return -1;
	j = record_build(img, layer_sizes);
	return record_write(dfd, img->id, j, err);
}

long long
image_layer_size(struct tk_store *st, const char *hex)
{
	cleanup_close int dfd = store_dir(st, "images", NULL);
	struct tk_image *all = NULL;
	long long size = 0;
	size_t n = 0;

	if (dfd < 0 || image_list(st, &all, &n, NULL) < 0)
		return 0;
	for (size_t i = 0; i < n && !size; i++) {
		cleanup_json json_t *j = NULL;
		json_t *sizes;

		for (size_t k = 0; all[i].layers[k]; k++) {
			if (strcmp(all[i].layers[k], hex))
				continue;
			j = record_read(dfd, all[i].id, NULL);
			sizes = j ? json_object_get(j, "layer_sizes") : NULL;
			size = json_integer_value(json_array_get(sizes, k));
			break;
		}
	}
	image_list_free(all, n);
	return size;
}

int
image_untag(struct tk_store *st, const char *name, struct tk_err *err)
{
	cleanup_close int lock = -1, dfd = -1;
	char norm[300];
	bool found = false;

	if (image_normalize_name(name, norm, sizeof(norm), err) < 0)
		return -1;
	lock = store_lock(st, err);
	if (lock < 0)
		return -1;
	dfd = store_dir(st, "images", err);
	if (dfd < 0)
		return -1;
	if (names_remove(st, dfd, norm, NULL, &found, err) < 0)
		return -1;
	if (!found)
		return tk_err_set(err, "no such image: '%s'", tk_quote(name, qbuf, sizeof(qbuf)));
	return 0;
}

/* Every layer in layers/ (the directory at ldir), appended to *v. */
static int
layer_names(int ldir, char ***v, struct tk_err *err)
{
	struct dirent *de;
	int fd = dup(ldir);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);

	if (!d) {
		if (fd >= 0)
			close(fd);
		return tk_err_errno(err, "cannot read the layers directory");
	}
	rewinddir(d);
	while ((de = readdir(d)))
		if (tk_valid_hex64(de->d_name))
			strv_push(v, de->d_name);
	closedir(d);
	return 0;
}

int
image_delete(struct tk_store *st, const char *id, struct tk_err *err)
{
	cleanup_close int lock = -1, idir = -1, ldir = -1, tdir = -1;
	cleanup_free char *rec = NULL;
	struct tk_image img = { 0 }, *all = NULL;
	char **doomed = NULL;
	size_t n = 0;
	int ret = 0;
	struct tk_container *cs = NULL;
	size_t nc = 0;
	bool bad = false;

	lock = store_lock(st, err);
	if (lock < 0)
		return -1;
	/* A damaged record does not say which layers it used: remove it, then
	 * every layer that no image record and no container uses (a pull
	 * publishes its layers and its record, tk-run makes its container,
	 * under the lock we hold). */
	if (image_load(st, id, &img, err) < 0) {
		if (!err || err->code != EBADMSG)
			return -1;
		memset(&img, 0, sizeof(img));
		img.layers = xcalloc(1, sizeof(char *));
		bad = true;
	}
	idir = store_dir(st, "images", err);
	ldir = idir < 0 ? -1 : store_dir(st, "layers", err);
	tdir = ldir < 0 ? -1 : store_dir(st, "tmp", err);
	if (tdir < 0)
		goto out_err;
	rec = xasprintf("%s.json", id);
	if (unlinkat(idir, rec, 0) < 0) {
		tk_err_errno(err, "cannot remove image record '%s'", id);
		goto out_err;
	}
	if (image_list(st, &all, &n, err) < 0 || container_list(st, &cs, &nc, err) < 0)
		goto out_err;
	if (bad && layer_names(ldir, &img.layers, err) < 0)
		goto out_err;
	/* Move unused layers out of layers/ while locked (a half-removed
	 * layer never keeps its name); remove them after. A crash leaves
	 * rm-<pid>-* in tmp/, which the next pull removes. */
	for (size_t i = 0; img.layers[i]; i++) {
		bool used = false;
		char rnd[65];
		cleanup_free char *dst = NULL;

		for (size_t k = 0; k < n && !used; k++)
			for (size_t m = 0; all[k].layers[m] && !used; m++)
				used = !strcmp(all[k].layers[m], img.layers[i]);
		for (size_t k = 0; k < i && !used; k++)
			used = !strcmp(img.layers[k], img.layers[i]);
		/* A container keeps its layers, whatever became of its image
		 * record (a damaged one's too). */
		for (size_t k = 0; k < nc && !used; k++)
			used = strv_has(cs[k].layers, img.layers[i]);
		if (used)
			continue;
		if (tk_random_id(rnd, err) < 0)
			goto out_err;
		rnd[16] = 0;
		dst = xasprintf("rm-%d-%s", (int)getpid(), rnd);
		if (renameat(ldir, img.layers[i], tdir, dst) < 0) {
			if (errno == ENOENT)
				continue;
			tk_err_errno(err, "cannot remove layer '%s'", img.layers[i]);
			goto out_err;
		}
		strv_push(&doomed, dst);
	}
	close(steal_fd(&lock));
	for (size_t i = 0; doomed && doomed[i]; i++)
		if (userns_rm_tree(tdir, doomed[i], err) < 0)
			ret = -1;
	goto out;
out_err:
	ret = -1;
out:
	strv_free(doomed);
	image_list_free(all, n);
	container_list_free(cs, nc);
	image_free(&img);
	return ret;
}
