#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "digest.h"
#include "image.h"
#include "interrupt.h"
#include "json.h"
#include "protocol.h"
#include "pull.h"
#include "ref.h"
#include "registry.h"
#include "userns.h"
#include "util.h"
#include "banned.h"

#define META_MAX (4 << 20)  /* manifests, indexes, configs */

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"

static const char *const layer_types[] = {
	"application/vnd.oci.image.layer.v1.tar",
	"application/vnd.oci.image.layer.v1.tar+gzip",
	"application/vnd.oci.image.layer.v1.tar+zstd",
	"application/vnd.docker.image.rootfs.diff.tar.gzip",
	NULL,
};

#if defined(__x86_64__)
#define HOST_ARCH "amd64"
#elif defined(__aarch64__)
#define HOST_ARCH "arm64"
#elif defined(__i386__)
#define HOST_ARCH "386"
#elif defined(__arm__)
#define HOST_ARCH "arm"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_ARCH "ppc64le"
#elif defined(__s390x__)
#define HOST_ARCH "s390x"
#elif defined(__riscv) && __riscv_xlen == 64
#define HOST_ARCH "riscv64"
#else
#define HOST_ARCH "unknown"
#endif

struct platform {
	char os[32], arch[32], variant[32];
};

struct pull {
	struct tk_store *st;
	struct platform want;     /* --platform, or this machine's */
	struct pull_opts *o;
	int tmpfd;                /* tmp/ */
	char *work;               /* pull-<pid>-<rand>, beneath tmp/ */
	int workfd;
	size_t nlayers;
	char **layers;            /* diff-id hex */
	long long *sizes;
	bool *fresh;              /* unpacked by us into work/l<i> */
	char *config;
	size_t config_len;
	char **names;
	char present_id[65];      /* the image was here already */
	char *cache_hex;          /* a platform manifest to keep (manifests/) */
	char *cache_body;
	size_t cache_len;
};

static void
progress(struct pull *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
progress(struct pull *p, const char *fmt, ...)
{
	va_list ap;

	if (p->o->quiet || !isatty(2))
		return;
	fprintf(stderr, "%s: ", tk_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A partial blob (tmp/blob-<hex>.part) that no pull holds and nobody
 * touched for a week: a pull that was never run again. */
static void
part_clean(int tfd, const char *name)
{
	cleanup_close int fd = openat(tfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat sb;

	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_mtime > time(NULL) - 7 * 24 * 3600)
		return;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		unlinkat(tfd, name, 0);
}

/* manifests/<hex>.json whose config no image in the store has any more
 * (removed with tk-rm --image). */
static void
manifests_clean(struct tk_store *st)
{
	cleanup_close int mfd = openat(st->fd, "manifests",
				       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int ifd = store_dir(st, "images", NULL);
	struct dirent *de;
	DIR *d;
	int dfd;

	if (mfd < 0 || ifd < 0 || (dfd = dup(mfd)) < 0)
		return;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	while ((de = readdir(d))) {
		cleanup_free char *buf = NULL, *rec = NULL;
		cleanup_json json_t *m = NULL;
		struct stat sb;
		char hex[65];
		size_t len;

		if (de->d_name[0] == '.')
			continue;
		buf = read_file_at(mfd, de->d_name, META_MAX, &len, NULL);
		m = buf ? json_parse_object(buf, len, "manifest", NULL) : NULL;
		if (m && digest_parse(json_str(json_object_get(m, "config"), "digest"), hex,
				      NULL) == 0) {
			rec = xasprintf("%s.json", hex);
			if (fstatat(ifd, rec, &sb, 0) == 0)
				continue;
		}
		unlinkat(mfd, de->d_name, 0);
	}
	closedir(d);
}

void
pull_clean_stale(struct tk_store *st, bool quiet)
{
	cleanup_close int tfd = store_dir(st, "tmp", NULL);
	struct dirent *de;
	DIR *d;
	int dfd;

	if (tfd < 0 || (dfd = dup(tfd)) < 0)
		return;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	while ((de = readdir(d))) {
		const char *s = de->d_name;
		char *end;
		long pid;
		struct tk_err err;

		if (!strncmp(s, "blob-", 5)) {
			part_clean(tfd, de->d_name);
			continue;
		}
		if (!strncmp(s, "pull-", 5))
			s += 5;
		else if (!strncmp(s, "rm-", 3))
			s += 3;
		else
			continue;
		errno = 0;
		pid = strtol(s, &end, 10);
		if (errno || end == s || *end != '-' || pid <= 0 || pid == getpid())
			continue;
		if (kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		if (userns_rm_tree(tfd, de->d_name, &err) < 0 && !quiet)
			tk_warn("cannot remove stale '%s/tmp/%s': %s", st->path, de->d_name,
				err.msg);
	}
	closedir(d);
	manifests_clean(st);
}

static int
pull_begin(struct pull *p, struct tk_err *err)
{
	char rnd[65];

	pull_clean_stale(p->st, p->o->quiet);
	p->tmpfd = store_dir(p->st, "tmp", err);
	if (p->tmpfd < 0)
		return -1;
	if (tk_random_id(rnd, err) < 0)
		return -1;
	rnd[16] = 0;
	p->work = xasprintf("pull-%d-%s", (int)getpid(), rnd);
	if (mkdirat(p->tmpfd, p->work, 0700) < 0)
		return tk_err_errno(err, "cannot create '%s/tmp/%s'", p->st->path, p->work);
	p->workfd = openat(p->tmpfd, p->work, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (p->workfd < 0)
		return tk_err_errno(err, "cannot open '%s/tmp/%s'", p->st->path, p->work);
	return 0;
}

static void
pull_end(struct pull *p)
{
	struct tk_err err;

	if (p->workfd >= 0)
		close(p->workfd);
	if (p->work && userns_rm_tree(p->tmpfd, p->work, &err) < 0 && !p->o->quiet)
		tk_warn("%s", err.msg);
	if (p->tmpfd >= 0)
		close(p->tmpfd);
	free(p->work);
	strv_free(p->layers);
	free(p->sizes);
	free(p->fresh);
	free(p->config);
	strv_free(p->names);
	free(p->cache_hex);
	free(p->cache_body);
}

static void
pull_set_layers(struct pull *p, size_t n)
{
	p->nlayers = n;
	p->layers = xcalloc(n + 1, sizeof(char *));
	p->sizes = xcalloc(n + 1, sizeof(long long));
	p->fresh = xcalloc(n + 1, sizeof(bool));
}

static bool
layer_present(struct pull *p, const char *hex)
{
	cleanup_close int ldir = store_dir(p->st, "layers", NULL);
	struct stat sb;

	return ldir >= 0 && fstatat(ldir, hex, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(sb.st_mode);
}

/* Unpack layer i from src, unless the store has it already. */
static int
pull_layer(struct pull *p, size_t i, struct layer_source *src, struct tk_err *err)
{
	char name[32];
	struct layer_result res;

	if (src->expect_diffid && layer_present(p, src->expect_diffid)) {
		progress(p, "layer %zu/%zu sha256:%.12s: already present", i + 1, p->nlayers,
			 src->expect_diffid);
		p->layers[i] = xstrdup(src->expect_diffid);
		p->sizes[i] = image_layer_size(p->st, src->expect_diffid);
		return 0;
	}
	progress(p, "layer %zu/%zu: unpacking %s", i + 1, p->nlayers, src->what);
	snprintf(name, sizeof(name), "l%zu", i);
	if (layer_extract(p->workfd, name, src, &p->o->lim, p->o->quiet, &res, err) < 0)
		return -1;
	p->layers[i] = xstrdup(res.diffid);
	p->sizes[i] = res.size;
	p->fresh[i] = true;
	return 0;
}

/* The config's rootfs.diff_ids as hex; must list n layers (n 0: any). */
static int
config_diffids(json_t *cfg, size_t n, char ***out, struct tk_err *err)
{
	json_t *rootfs = json_object_get(cfg, "rootfs");
	cleanup_strv char **ids = NULL;
	char **v = NULL;

	if (!json_is_object(rootfs) || !json_str(rootfs, "type") ||
	    strcmp(json_str(rootfs, "type"), "layers") != 0)
		return tk_err_set(err, "image config has no rootfs of type 'layers'");
	if (json_strv(rootfs, "diff_ids", &ids, err) < 0)
		return -1;
	if (strv_len(ids) != n)
		return tk_err_set(err, "image config lists %zu layers, the manifest %zu",
				  strv_len(ids), n);
	for (size_t i = 0; ids && ids[i]; i++) {
		char hex[65];
		if (digest_parse(ids[i], hex, err) < 0)
			return -1;
		strv_push(&v, hex);
	}
	if (!v)
		v = xcalloc(1, sizeof(char *));
	*out = v;
	return 0;
}

static char *
opt_strdup(json_t *o, const char *key)
{
	const char *s = json_str(o, key);

	return s && *s ? xstrdup(s) : NULL;
}

/* Publish: under the lock, rename fresh layers in and write the record. */
static int
pull_publish(struct pull *p, char id[65], struct tk_err *err)
{
	cleanup_json json_t *cfg = NULL;
	cleanup_close int lock = -1, ldir = -1;
	struct tk_image img = { 0 }, old = { 0 };
	json_t *c;
	const char *os, *arch;
	int ret = -1;

	cfg = json_parse_object(p->config, p->config_len, "image config", err);
	if (!cfg)
		return -1;
	os = json_str(cfg, "os");
	arch = json_str(cfg, "architecture");
	if (os && strcmp(os, "linux") != 0)
		return tk_err_set(err, "image is for '%s', not linux", os);
	if (arch && strcmp(arch, HOST_ARCH) != 0 && !p->o->quiet)
		tk_warn("image is for '%s', this machine is '%s'", arch, HOST_ARCH);
	digest_buf(p->config, p->config_len, id);
	memcpy(img.id, id, 65);
	c = json_object_get(cfg, "config");
	if (json_is_object(c)) {
		if (json_strv(c, "Env", &img.env, err) < 0 ||
		    json_strv(c, "Entrypoint", &img.entrypoint, err) < 0 ||
		    json_strv(c, "Cmd", &img.cmd, err) < 0)
			goto out;
		img.workdir = opt_strdup(c, "WorkingDir");
		img.user = opt_strdup(c, "User");
		img.stop_signal = opt_strdup(c, "StopSignal");
	}
	img.layers = strv_dup(p->layers);
	img.created = tk_now();
	for (size_t i = 0; i < p->nlayers; i++)
		img.size += p->sizes[i];

	lock = store_lock(p->st, err);
	if (lock < 0)
		goto out;
	ldir = store_dir(p->st, "layers", err);
	if (ldir < 0)
		goto out;
	for (size_t i = 0; i < p->nlayers; i++) {
		char name[32];

		snprintf(name, sizeof(name), "l%zu", i);
		if (p->fresh[i] &&
		    syscall(SYS_renameat2, p->workfd, name, ldir, p->layers[i],
			    RENAME_NOREPLACE) == 0)
			continue;
		if (p->fresh[i] && errno != EEXIST) {
			tk_err_errno(err, "cannot publish layer '%s'", p->layers[i]);
			goto out;
		}
		/* Already there (another pull, or a repeated layer). A layer
		 * checked earlier may have been deleted since: re-check. */
		if (!layer_present(p, p->layers[i])) {
			tk_err_set(err, "layer sha256:%s was removed during the pull: try again",
				   p->layers[i]);
			goto out;
		}
	}
	/* Pulling again keeps the first date and adds names. */
	if (image_load(p->st, id, &old, NULL) == 0) {
		img.created = old.created;
		img.names = strv_dup(old.names);
	}
	for (size_t i = 0; p->names && p->names[i]; i++)
		if (!strv_has(img.names, p->names[i]))
			strv_push(&img.names, p->names[i]);
	if (!img.names)
		img.names = xcalloc(1, sizeof(char *));
	ret = image_save(p->st, &img, p->sizes, err);
out:
	image_free(&img);
	image_free(&old);
	return ret;
}

static int
add_name(struct pull *p, const char *name, struct tk_err *err)
{
	char norm[300];

	if (image_normalize_name(name, norm, sizeof(norm), err) < 0)
		return -1;
	if (!strv_has(p->names, norm))
		strv_push(&p->names, norm);
	return 0;
}

/* tar: a rootfs tarball; the config is made up, deterministically. */
static int
pull_tar(struct pull *p, const char *path, struct tk_err *err)
{
	cleanup_close int fd = -1;
	struct layer_source src = { .what = path, .follow_fd = -1 };
	json_t *cfg, *config, *rootfs, *ids;
	char *text;

	if (!strcmp(path, "-")) {
		fd = dup(0);
		src.what = "stdin";
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return tk_err_errno(err, "cannot open '%s'", path);
	src.fd = fd;
	pull_set_layers(p, 1);
	if (pull_layer(p, 0, &src, err) < 0)
		return -1;
	cfg = json_object();
	json_object_set_new(cfg, "architecture", json_string(HOST_ARCH));
	config = json_object();
	ids = json_array();
	json_array_append_new(ids, json_string(
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
	json_object_set_new(config, "Env", ids);
	json_object_set_new(cfg, "config", config);
	json_object_set_new(cfg, "os", json_string("linux"));
	rootfs = json_object();
	ids = json_array();
	json_array_append_new(ids, json_sprintf("sha256:%s", p->layers[0]));
	json_object_set_new(rootfs, "diff_ids", ids);
	json_object_set_new(rootfs, "type", json_string("layers"));
	json_object_set_new(cfg, "rootfs", rootfs);
	text = json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(cfg);
	if (!text)
		return tk_err_set(err, "cannot encode the image config");
	p->config = text;
	p->config_len = strlen(text);
	return 0;
}

static int
oci_open_blob(int dirfd, const char *hex, struct tk_err *err)
{
	cleanup_free char *path = xasprintf("blobs/sha256/%s", hex);
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	int fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

	if (fd < 0)
		return tk_err_errno(err, "cannot open blob sha256:%s", hex);
	return fd;
}

/* Read a small blob named by descriptor d and check its digest and size. */
static char *
oci_read_blob(int dirfd, json_t *d, size_t *len, struct tk_err *err)
{
	cleanup_close int fd = -1;
	cleanup_free char *buf = NULL;
	char hex[65], got[65];
	json_t *size = json_object_get(d, "size");

	if (digest_parse(json_str(d, "digest"), hex, err) < 0)
		return NULL;
	fd = oci_open_blob(dirfd, hex, err);
	if (fd < 0)
		return NULL;
	buf = read_fd_all(fd, META_MAX, len, hex, err);
	if (!buf)
		return NULL;
	digest_buf(buf, *len, got);
	if (strcmp(hex, got) != 0) {
		tk_err_set(err, "blob digest mismatch: expected sha256:%s, got sha256:%s", hex, got);
		return NULL;
	}
	if (json_is_integer(size) && json_integer_value(size) != (json_int_t)*len) {
		tk_err_set(err, "blob sha256:%s: size %zu, the descriptor says %lld", hex, *len,
			   (long long)json_integer_value(size));
		return NULL;
	}
	return steal_ptr(&buf);
}

static bool
type_is(const char *mt, const char *a, const char *b)
{
	return mt && ((a && !strcmp(mt, a)) || (b && !strcmp(mt, b)));
}

/* --platform os/arch[/variant]; default: linux and this machine's arch. */
static int
platform_parse(const char *s, struct platform *pf, struct tk_err *err)
{
	const char *a, *v;

	memset(pf, 0, sizeof(*pf));
	if (!s) {
		snprintf(pf->os, sizeof(pf->os), "linux");
		snprintf(pf->arch, sizeof(pf->arch), "%s", HOST_ARCH);
		return 0;
	}
	a = strchr(s, '/');
	v = a ? strchr(a + 1, '/') : NULL;
	if (!a || a == s || !a[1] || (v && (!v[1] || strchr(v + 1, '/'))) ||
	    (size_t)(a - s) >= sizeof(pf->os) ||
	    (size_t)((v ? v : a + strlen(a)) - a - 1) >= sizeof(pf->arch) ||
	    (v && strlen(v + 1) >= sizeof(pf->variant)))
		return tk_err_set(err, "bad platform '%s' (use OS/ARCH[/VARIANT], as linux/arm64)",
				  s);
	memcpy(pf->os, s, a - s);
	memcpy(pf->arch, a + 1, (v ? v : a + strlen(a)) - a - 1);
	if (v)
		snprintf(pf->variant, sizeof(pf->variant), "%s", v + 1);
	return 0;
}

/* From an index, the manifest for platform pf: os and architecture must
 * match, and the variant when one is asked for. */
static json_t *
pick_platform(json_t *index, const struct platform *pf, struct tk_err *err)
{
	json_t *ms = json_object_get(index, "manifests"), *m;
	size_t i;

	if (!json_is_array(ms)) {
		tk_err_set(err, "image index without a manifest list");
		return NULL;
	}
	json_array_foreach(ms, i, m) {
		json_t *pl = json_object_get(m, "platform");
		const char *os = json_str(pl, "os"), *arch = json_str(pl, "architecture");
		const char *var = json_str(pl, "variant");

		if (type_is(json_str(m, "mediaType"), MT_OCI_MANIFEST, MT_DOCKER_MANIFEST) &&
		    os && !strcmp(os, pf->os) && arch && !strcmp(arch, pf->arch) &&
		    (!pf->variant[0] || (var && !strcmp(var, pf->variant))))
			return m;
	}
	tk_err_set(err, "no image for %s/%s%s%s in the index", pf->os, pf->arch,
		   pf->variant[0] ? "/" : "", pf->variant);
	return NULL;
}

static bool
layer_type_ok(const char *mt)
{
	for (size_t k = 0; layer_types[k]; k++)
		if (type_is(mt, layer_types[k], NULL))
			return true;
	return false;
}

/* A schema 2 / OCI image manifest of media type mt: its config
 * descriptor and layer list, checked for type confusion. */
static int
manifest_check(json_t *man, const char *mt, json_t **config, json_t **layers,
	       struct tk_err *err)
{
	json_t *m, *l;
	size_t i;

	if (!type_is(mt, MT_OCI_MANIFEST, MT_DOCKER_MANIFEST))
		return tk_err_set(err, "unsupported manifest media type '%s'", mt ? mt : "");
	/* The manifest must be what the descriptor says (no type confusion). */
	if (json_str(man, "mediaType") && strcmp(json_str(man, "mediaType"), mt) != 0)
		return tk_err_set(err, "manifest media type '%s' does not match its descriptor",
				  json_str(man, "mediaType"));
	if (json_integer_value(json_object_get(man, "schemaVersion")) != 2)
		return tk_err_set(err, "unsupported manifest schema version");
	if (json_object_get(man, "manifests"))
		return tk_err_set(err, "manifest of type '%s' holds a manifest list", mt);
	m = json_object_get(man, "config");
	if (!type_is(json_str(m, "mediaType"), MT_OCI_CONFIG, MT_DOCKER_CONFIG))
		return tk_err_set(err, "unsupported config media type '%s'",
				  json_str(m, "mediaType") ? json_str(m, "mediaType") : "");
	l = json_object_get(man, "layers");
	if (!json_is_array(l) || json_array_size(l) > TK_MAX_LAYERS)
		return tk_err_set(err, "manifest has no layer list or more than %d layers",
				  TK_MAX_LAYERS);
	json_array_foreach(l, i, m) {
		if (!layer_type_ok(json_str(m, "mediaType")))
			return tk_err_set(err, "unsupported layer media type '%s'",
					  json_str(m, "mediaType") ? json_str(m, "mediaType") : "");
	}
	*config = json_object_get(man, "config");
	*layers = l;
	return 0;
}

static int
pull_oci(struct pull *p, const char *arg, struct tk_err *err)
{
	cleanup_free char *dir = xstrdup(arg), *ibuf = NULL, *lbuf = NULL, *mbuf = NULL;
	cleanup_json json_t *index = NULL, *sub = NULL, *man = NULL, *cfg = NULL;
	cleanup_strv char **diffids = NULL;
	cleanup_close int dfd = -1, fd = -1;
	char *tag = strrchr(dir, ':');
	json_t *ms, *m, *desc = NULL, *layers;
	size_t len, i, nmatch = 0;
	const char *mt;

	if (tag && !strchr(tag, '/'))
		*tag++ = 0;
	else
		tag = NULL;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return tk_err_errno(err, "cannot open '%s'", dir);
	lbuf = read_file_at(dfd, "oci-layout", 4096, &len, err);
	if (!lbuf)
		return -1;
	ibuf = read_file_at(dfd, "index.json", META_MAX, &len, err);
	if (!ibuf)
		return -1;
	index = json_parse_object(ibuf, len, "index.json", err);
	if (!index)
		return -1;
	ms = json_object_get(index, "manifests");
	if (!json_is_array(ms))
		return tk_err_set(err, "'%s/index.json' has no manifests", dir);
	json_array_foreach(ms, i, m) {
		const char *ref = json_str(json_object_get(m, "annotations"),
					   "org.opencontainers.image.ref.name");
		if (tag && (!ref || strcmp(ref, tag) != 0))
			continue;
		desc = m;
		nmatch++;
	}
	if (tag && nmatch == 0)
		return tk_err_set(err, "no image tagged '%s' in '%s'", tag, dir);
	if (nmatch != 1)
		return tk_err_set(err, "%s images in '%s': name one as oci:%s:TAG",
				  nmatch ? "several" : "no", dir, dir);
	mt = json_str(desc, "mediaType");
	if (type_is(mt, MT_OCI_INDEX, MT_DOCKER_LIST)) {
		ibuf = (free(ibuf), oci_read_blob(dfd, desc, &len, err));
		if (!ibuf)
			return -1;
		sub = json_parse_object(ibuf, len, "image index", err);
		if (!sub || !(desc = pick_platform(sub, &p->want, err)))
			return -1;
		mt = json_str(desc, "mediaType");
	}
	if (!type_is(mt, MT_OCI_MANIFEST, MT_DOCKER_MANIFEST))
		return tk_err_set(err, "unsupported manifest media type '%s'", mt ? mt : "");
	mbuf = oci_read_blob(dfd, desc, &len, err);
	if (!mbuf)
		return -1;
	man = json_parse_object(mbuf, len, "image manifest", err);
	if (!man)
		return -1;
	if (manifest_check(man, mt, &m, &layers, err) < 0)
		return -1;
	p->config = oci_read_blob(dfd, m, &p->config_len, err);
	if (!p->config)
		return -1;
	cfg = json_parse_object(p->config, p->config_len, "image config", err);
	if (!cfg)
		return -1;
	if (config_diffids(cfg, json_array_size(layers), &diffids, err) < 0)
		return -1;
	pull_set_layers(p, json_array_size(layers));
	json_array_foreach(layers, i, m) {
		struct layer_source src = { .follow_fd = -1 };
		char hex[65], what[80];

		if (digest_parse(json_str(m, "digest"), hex, err) < 0)
			return -1;
		fd = (fd >= 0 ? close(fd) : 0, -1);
		if (!layer_present(p, diffids[i])) {
			fd = oci_open_blob(dfd, hex, err);
			if (fd < 0)
				return -1;
		}
		snprintf(what, sizeof(what), "blob sha256:%.12s", hex);
		src.fd = fd;
		src.what = what;
		src.expect_blob = hex;
		src.expect_diffid = diffids[i];
		if (pull_layer(p, i, &src, err) < 0)
			return -1;
	}
	if (tag) {
		const char *base = strrchr(dir, '/');
		cleanup_free char *name = NULL;
		struct tk_err e2;

		base = base && base[1] ? base + 1 : dir;
		name = xasprintf("localhost/%s:%s", base, tag);
		if (!p->o->name && add_name(p, name, &e2) < 0 && !p->o->quiet)
			tk_warn("not naming the image: %s", e2.msg);
	}
	return 0;
}

/* docker-archive: read one member of the tar on fd. */
static char *
member_read(int fd, const char *name, size_t *len, struct tk_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char *buf = NULL;
	int r;

	archive_read_support_filter_none(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_format_tar(a);
	if (lseek(fd, 0, SEEK_SET) < 0) {
		tk_err_errno(err, "cannot seek the archive (docker-archive must be a file)");
		goto out;
	}
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
		tk_err_set(err, "%s", archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		la_ssize_t n;
		if (strcmp(archive_entry_pathname(e), name) != 0 ||
		    archive_entry_filetype(e) != AE_IFREG)
			continue;
		if (archive_entry_size(e) > META_MAX) {
			tk_err_set(err, "'%s' is larger than %d bytes", name, META_MAX);
			goto out;
		}
		*len = archive_entry_size(e);
		buf = xmalloc(*len + 1);
		n = archive_read_data(a, buf, *len);
		if (n != (la_ssize_t)*len) {
			tk_err_set(err, "cannot read '%s' from the archive", name);
			free(buf);
			buf = NULL;
			goto out;
		}
		buf[*len] = 0;
		goto out;
	}
	if (r == ARCHIVE_EOF)
		tk_err_set(err, "no '%s' in the archive", name);
	else
		tk_err_set(err, "%s", archive_error_string(a));
out:
	archive_read_free(a);
	return buf;
}

/* "blobs/sha256/<hex>" or "<hex>.json" / "<hex>/layer.tar": the hex. */
static bool
member_hex(const char *path, char hex[65])
{
	const char *h = !strncmp(path, "blobs/sha256/", 13) ? path + 13 : path;

	if (strlen(h) < 64)
		return false;
	memcpy(hex, h, 64);
	hex[64] = 0;
	if (!tk_valid_hex64(hex))
		return false;
	return h[64] == 0 || !strcmp(h + 64, ".json");
}

static int
pull_docker_archive(struct pull *p, const char *arg, struct tk_err *err)
{
	cleanup_free char *path = xstrdup(arg), *mbuf = NULL;
	cleanup_json json_t *man = NULL, *cfg = NULL;
	cleanup_strv char **diffids = NULL;
	cleanup_close int fd = -1;
	char *ref = strchr(path, ':'), want[300], hex[65];
	json_t *entry = NULL, *e, *layers, *tags, *t;
	size_t len, i, k, nmatch = 0;

	if (ref) {
		*ref++ = 0;
		if (image_normalize_name(ref, want, sizeof(want), err) < 0)
			return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return tk_err_errno(err, "cannot open '%s'", path);
	mbuf = member_read(fd, "manifest.json", &len, err);
	if (!mbuf)
		return -1;
	{
		json_error_t je;
		man = json_loadb(mbuf, len, JSON_REJECT_DUPLICATES, &je);
	}
	if (!json_is_array(man))
		return tk_err_set(err, "'%s': manifest.json is not a JSON array", path);
	json_array_foreach(man, i, e) {
		bool match = !ref;
		tags = json_object_get(e, "RepoTags");
		json_array_foreach(tags, k, t) {
			char norm[300];
			if (ref && json_is_string(t) &&
			    image_normalize_name(json_string_value(t), norm, sizeof(norm), NULL) == 0 &&
			    !strcmp(norm, want))
				match = true;
		}
		if (match) {
			entry = e;
			nmatch++;
		}
	}
	if (ref && !nmatch)
		return tk_err_set(err, "no image '%s' in '%s'", ref, path);
	if (nmatch != 1)
		return tk_err_set(err, "%s images in '%s': name one as docker-archive:%s:NAME:TAG",
				  nmatch ? "several" : "no", path, path);
	if (!json_str(entry, "Config"))
		return tk_err_set(err, "'%s': manifest.json entry without Config", path);
	p->config = member_read(fd, json_str(entry, "Config"), &p->config_len, err);
	if (!p->config)
		return -1;
	if (member_hex(json_str(entry, "Config"), hex)) {
		char got[65];
		digest_buf(p->config, p->config_len, got);
		if (strcmp(hex, got) != 0)
			return tk_err_set(err, "config digest mismatch: expected sha256:%s, "
					  "got sha256:%s", hex, got);
	}
	cfg = json_parse_object(p->config, p->config_len, "image config", err);
	if (!cfg)
		return -1;
	layers = json_object_get(entry, "Layers");
	if (!json_is_array(layers) || json_array_size(layers) > TK_MAX_LAYERS)
		return tk_err_set(err, "'%s': no layer list or more than %d layers", path,
				  TK_MAX_LAYERS);
	if (config_diffids(cfg, json_array_size(layers), &diffids, err) < 0)
		return -1;
	pull_set_layers(p, json_array_size(layers));
	json_array_foreach(layers, i, e) {
		struct layer_source src = { .follow_fd = -1 };
		char lhex[65];

		if (!json_is_string(e))
			return tk_err_set(err, "'%s': bad layer list", path);
		if (lseek(fd, 0, SEEK_SET) < 0)
			return tk_err_errno(err, "cannot seek '%s'", path);
		src.fd = fd;
		src.member = json_string_value(e);
		src.what = src.member;
		src.expect_diffid = diffids[i];
		if (!strncmp(src.member, "blobs/sha256/", 13) && member_hex(src.member, lhex))
			src.expect_blob = lhex;
		if (pull_layer(p, i, &src, err) < 0)
			return -1;
	}
	if (!p->o->name) {
		tags = json_object_get(entry, "RepoTags");
		json_array_foreach(tags, k, t) {
			struct tk_err e2;
			if (json_is_string(t) && add_name(p, json_string_value(t), &e2) < 0 &&
			    !p->o->quiet)
				tk_warn("not naming the image: %s", e2.msg);
		}
	}
	return 0;
}

/* --- registries */

/* The image id's record, when it and every layer it names are here. */
static bool
image_complete(struct pull *p, const char *id, struct tk_image *img)
{
	if (image_load(p->st, id, img, NULL) < 0)
		return false;
	for (size_t i = 0; img->layers[i]; i++)
		if (!layer_present(p, img->layers[i])) {
			image_free(img);
			return false;
		}
	return true;
}

/* The image is here already: only add the names it lacks. */
static int
publish_present(struct pull *p, struct tk_image *img, struct tk_err *err)
{
	cleanup_close int lock = -1;
	cleanup_free long long *sizes = NULL;
	bool changed = false;
	size_t n = strv_len(img->layers);

	for (size_t i = 0; p->names && p->names[i]; i++)
		if (!strv_has(img->names, p->names[i])) {
			strv_push(&img->names, p->names[i]);
			changed = true;
		}
	if (!changed)
		return 0;
	sizes = xcalloc(n + 1, sizeof(long long));
	for (size_t i = 0; i < n; i++)
		sizes[i] = image_layer_size(p->st, img->layers[i]);
	lock = store_lock(p->st, err);
	if (lock < 0)
		return -1;
	return image_save(p->st, img, sizes, err);
}

/* manifests/<hex>.json: platform manifests met through an index, so that
 * pulling an unchanged image again takes one manifest request. */
static char *
manifest_cached(struct pull *p, const char *hex, size_t *len)
{
	cleanup_close int dfd = openat(p->st->fd, "manifests",
				       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_free char *name = xasprintf("%s.json", hex), *buf = NULL;
	char got[65];

	if (dfd < 0 || !(buf = read_file_at(dfd, name, META_MAX, len, NULL)))
		return NULL;
	digest_buf(buf, *len, got);
	return strcmp(got, hex) ? NULL : steal_ptr(&buf);
}

static void
manifest_cache(struct pull *p, const char *hex, const char *buf, size_t len)
{
	cleanup_close int dfd = -1;
	cleanup_free char *name = xasprintf("%s.json", hex);
	struct tk_err e;

	if (mkdirat(p->st->fd, "manifests", 0700) < 0 && errno != EEXIST)
		return;
	dfd = openat(p->st->fd, "manifests", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0)
		write_file_at(dfd, name, buf, len, 0600, &e);
}

/* The media type a registry answered with: the Content-Type without
 * parameters. */
static void
plain_type(char *ct)
{
	ct[strcspn(ct, "; ")] = 0;
}

/* What a manifest is: its mediaType member, which must agree with the
 * Content-Type when both are given. */
static const char *
manifest_type(json_t *man, const char *ct, struct tk_err *err)
{
	const char *jt = json_str(man, "mediaType");

	if (jt && *ct && strcmp(jt, ct) != 0 &&
	    (type_is(ct, MT_OCI_INDEX, MT_DOCKER_LIST) ||
	     type_is(ct, MT_OCI_MANIFEST, MT_DOCKER_MANIFEST))) {
		tk_err_set(err, "manifest says it is '%s' but was served as '%s'", jt, ct);
		return NULL;
	}
	if (jt)
		return jt;
	if (*ct)
		return ct;
	/* OCI manifests may omit mediaType: tell by the members. */
	if (json_object_get(man, "manifests"))
		return MT_OCI_INDEX;
	return MT_OCI_MANIFEST;
}

/* GET the manifest reference (tag or sha256:hex), verify it against
 * want_hex (when set) and the registry's digest header. */
static json_t *
registry_manifest(struct registry *reg, const char *reference, const char *want_hex,
		  json_t *desc, char **body, size_t *len, char ct[256], char hex[65],
		  struct tk_err *err)
{
	char hdig[128];
	json_t *man;
	json_t *size = desc ? json_object_get(desc, "size") : NULL;

	if (registry_get_manifest(reg, reference, META_MAX, body, len, ct, hdig, err) < 0)
		return NULL;
	plain_type(ct);
	digest_buf(*body, *len, hex);
	if (want_hex && strcmp(hex, want_hex) != 0) {
		tk_err_set(err, "manifest digest mismatch: expected sha256:%s, got sha256:%s",
			   want_hex, hex);
		return NULL;
	}
	if (!strncmp(hdig, "sha256:", 7) && strcmp(hdig + 7, hex) != 0) {
		tk_err_set(err, "manifest digest mismatch: the registry says %s, the content "
			   "is sha256:%s", hdig, hex);
		return NULL;
	}
	if (json_is_integer(size) && json_integer_value(size) != (json_int_t)*len) {
		tk_err_set(err, "manifest sha256:%s: %zu bytes, its descriptor says %lld", hex,
			   *len, (long long)json_integer_value(size));
		return NULL;
	}
	man = json_parse_object(*body, *len, "image manifest", err);
	if (man && json_str(man, "schemaVersion") == NULL &&
	    json_integer_value(json_object_get(man, "schemaVersion")) == 1) {
		json_decref(man);
		tk_err_set(err, "Docker schema 1 manifests are not supported (push the image "
			   "again with a current tool)");
		return NULL;
	}
	return man;
}

static int
pull_registry(struct pull *p, const char *source, struct tk_err *err)
{
	struct image_ref ref;
	struct registry reg = { 0 };
	struct registry_opts ro = {
		.insecure = p->o->insecure,
		.auth = { p->o->creds, p->o->authfile },
	};
	cleanup_free char *body = NULL, *cbody = NULL, *reference = NULL;
	cleanup_json json_t *man = NULL, *cfg = NULL;
	cleanup_strv char **diffids = NULL;
	cleanup_free struct fetch_layer *fl = NULL;
	cleanup_free size_t *idx = NULL;
	struct tk_image img = { 0 };
	struct fetch_pool pool = { .n = 0 };
	struct fetch_opts fo = {
		.jobs = p->o->jobs,
		.dirfd = p->workfd,
		.partfd = p->tmpfd,
		.lim = &p->o->lim,
		.quiet = p->o->quiet,
		.progress = !p->o->quiet && isatty(2),
	};
	char ct[256], cmt[256], hex[65], chex[65], id[65], name[600];
	const char *mt;
	json_t *cdesc, *layers, *m;
	bool via_index = false;
	size_t len, i, nfetch = 0;
	int ret = -1;

	if (ref_parse(source, &ref, err) < 0)
		return -1;
	if (ref.tag[0]) {
		ref_format(&ref, name, sizeof(name));
		if (!p->o->name && add_name(p, name, err) < 0)
			return -1;
	}
	if (registry_open(&reg, &ref, &ro, err) < 0)
		goto out;
	reference = ref.digest[0] ? xasprintf("sha256:%s", ref.digest) : xstrdup(ref.tag);
	man = registry_manifest(&reg, reference, ref.digest[0] ? ref.digest : NULL, NULL, &body,
				&len, ct, hex, err);
	if (!man || !(mt = manifest_type(man, ct, err)))
		goto out;
	if (type_is(mt, MT_OCI_INDEX, MT_DOCKER_LIST)) {
		json_t *desc;
		char want[65];

		if (json_str(man, "mediaType") == NULL && json_object_get(man, "layers"))
			goto confused;
		desc = pick_platform(man, &p->want, err);
		if (!desc || digest_parse(json_str(desc, "digest"), want, err) < 0)
			goto out;
		/* desc belongs to the index, freed below. */
		snprintf(cmt, sizeof(cmt), "%s", json_str(desc, "mediaType"));
		mt = cmt;
		free(body);
		body = manifest_cached(p, want, &len);
		json_decref(man);
		man = NULL;
		if (body) {
			memcpy(hex, want, 65);
			man = json_parse_object(body, len, "image manifest", err);
		} else {
			char ct2[256];
			cleanup_free char *r2 = xasprintf("sha256:%s", want);

			man = registry_manifest(&reg, r2, want, desc, &body, &len, ct2, hex, err);
			if (man && *ct2 && strcmp(ct2, mt) != 0 &&
			    (type_is(ct2, MT_OCI_INDEX, MT_DOCKER_LIST) ||
			     type_is(ct2, MT_OCI_MANIFEST, MT_DOCKER_MANIFEST))) {
				tk_err_set(err, "manifest sha256:%.12s was served as '%s', its "
					   "index says '%s'", want, ct2, mt);
				goto out;
			}
		}
		if (!man)
			goto out;
		via_index = true;
	}
	if (manifest_check(man, mt, &cdesc, &layers, err) < 0)
		goto out;
	if (digest_parse(json_str(cdesc, "digest"), chex, err) < 0)
		goto out;
	memcpy(id, chex, 65);
	if (image_complete(p, id, &img)) {
		/* Unchanged and here: no blob is fetched. */
		ret = publish_present(p, &img, err);
		if (ret == 0) {
			memcpy(p->present_id, id, 65);
			if (via_index)
				manifest_cache(p, hex, body, len);
		}
		goto out;
	}
	/* Unpackers get ready while the config comes. */
	registry_fetch_prepare(&pool, json_array_size(layers), &fo);
	if (registry_get_blob(&reg, chex, META_MAX, &cbody, &len, err) < 0)
		goto out;
	if (json_is_integer(json_object_get(cdesc, "size")) &&
	    json_integer_value(json_object_get(cdesc, "size")) != (json_int_t)len) {
		tk_err_set(err, "config sha256:%.12s: %zu bytes, the manifest says %lld", chex, len,
			   (long long)json_integer_value(json_object_get(cdesc, "size")));
		goto out;
	}
	p->config = steal_ptr(&cbody);
	p->config_len = len;
	cfg = json_parse_object(p->config, p->config_len, "image config", err);
	if (!cfg || config_diffids(cfg, json_array_size(layers), &diffids, err) < 0)
		goto out;
	pull_set_layers(p, json_array_size(layers));
	fl = xcalloc(p->nlayers + 1, sizeof(*fl));
	idx = xcalloc(p->nlayers + 1, sizeof(*idx));
	json_array_foreach(layers, i, m) {
		json_t *size = json_object_get(m, "size");
		bool dup = false;

		if (digest_parse(json_str(m, "digest"), hex, err) < 0)
			goto out;
		if (!json_is_integer(size) || json_integer_value(size) < 0 ||
		    (unsigned long long)json_integer_value(size) > p->o->lim.max_bytes) {
			tk_err_set(err, "layer sha256:%.12s: missing or impossible size", hex);
			goto out;
		}
		for (size_t k = 0; k < i; k++)
			dup = dup || !strcmp(diffids[k], diffids[i]);
		if (dup || layer_present(p, diffids[i])) {
			/* Here already, or earlier in this image. */
			p->layers[i] = xstrdup(diffids[i]);
			p->sizes[i] = image_layer_size(p->st, diffids[i]);
			continue;
		}
		memcpy(fl[nfetch].blob, hex, 65);
		memcpy(fl[nfetch].diffid, diffids[i], 65);
		fl[nfetch].size = json_integer_value(size);
		snprintf(fl[nfetch].name, sizeof(fl[nfetch].name), "l%zu", i);
		idx[nfetch++] = i;
	}
	if (registry_fetch_layers(&reg, fl, nfetch, &fo, &pool, err) < 0)
		goto out;
	for (size_t k = 0; k < nfetch; k++) {
		p->layers[idx[k]] = xstrdup(fl[k].res.diffid);
		p->sizes[idx[k]] = fl[k].res.size;
		p->fresh[idx[k]] = true;
	}
	/* Layers that repeat a fetched one. */
	for (i = 0; i < p->nlayers; i++)
		if (!p->layers[i]) {
			p->layers[i] = xstrdup(diffids[i]);
			for (size_t k = 0; k < i; k++)
				if (!strcmp(diffids[k], diffids[i]))
					p->sizes[i] = p->sizes[k];
		}
	if (via_index) {
		p->cache_hex = xstrdup(hex);
		p->cache_body = steal_ptr(&body);
		p->cache_len = len;
	}
	ret = 0;
	goto out;
confused:
	tk_err_set(err, "manifest served as an index holds layers: refusing a confused manifest");
out:
	registry_fetch_pool_end(&pool);
	image_free(&img);
	p->o->requests += reg.requests;
	registry_close(&reg);
	return ret;
}

int
pull_source(struct tk_store *st, const char *source, struct pull_opts *o, char id[65],
	    struct tk_err *err)
{
	struct pull p = { .st = st, .o = o, .tmpfd = -1, .workfd = -1 };
	int ret = -1;

	if (platform_parse(o->platform, &p.want, err) < 0)
		goto out;
	if (o->name && add_name(&p, o->name, err) < 0)
		goto out;
	if (pull_begin(&p, err) < 0)
		goto out;
	if (!strncmp(source, "tar:", 4))
		ret = pull_tar(&p, source + 4, err);
	else if (!strncmp(source, "oci:", 4))
		ret = pull_oci(&p, source + 4, err);
	else if (!strncmp(source, "docker-archive:", 15))
		ret = pull_docker_archive(&p, source + 15, err);
	else
		ret = pull_registry(&p, source, err);
	if (ret == 0 && tk_interrupted)
		ret = tk_err_set(err, "interrupted");
	if (ret == 0 && p.present_id[0]) {
		memcpy(id, p.present_id, 65);
	} else if (ret == 0) {
		ret = pull_publish(&p, id, err);
		if (ret == 0 && p.cache_hex)
			manifest_cache(&p, p.cache_hex, p.cache_body, p.cache_len);
	}
out:
	pull_end(&p);
	return ret;
}
