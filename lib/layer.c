#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "digest.h"
#include "layer.h"
#include "userns.h"
#include "util.h"
#include "banned.h"

#define MAX_WARNINGS 20
#define BUFSZ (128 * 1024)

struct dir_time {
	char *path;
	struct timespec ts[2];
};

struct unpack {
	const struct layer_source *src;
	const struct layer_limits *lim;
	bool quiet;
	int root;                    /* the layer directory */
	struct archive *container;   /* docker-archive: the outer tar */
	struct archive *outer;       /* raw format: decompresses the blob */
	struct archive *inner;       /* tar format over outer's output */
	struct digest_ctx blob, diff;
	unsigned long long cbytes, ubytes;
	char limit_msg[256];         /* why a read callback gave up */
	unsigned warnings;
	bool warned_owner, warned_xattr;
	bool follow_done;            /* the follow_fd writer is done */
	char *parent_path;           /* cache of the last parent resolved */
	int parent_fd;
	struct dir_time *dirs;
	size_t ndirs, capdirs;
	struct layer_result *res;
	unsigned char cbuf[BUFSZ], ubuf[BUFSZ];
};

static void
warn(struct unpack *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
warn(struct unpack *u, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (u->quiet)
		return;
	if (++u->warnings > MAX_WARNINGS) {
		if (u->warnings == MAX_WARNINGS + 1)
			tk_warn("%s: further warnings suppressed", u->src->what);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tk_warn("%s: %s", u->src->what, msg);
}

static int
openat2_beneath(int dirfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = flags | O_CLOEXEC | O_NOFOLLOW,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};

	return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* Read the blob. With follow_fd, the file is still being downloaded: at
 * its end, wait for the writer's next byte on the pipe (more was
 * appended) or its EOF (done), so the layer unpacks while it streams in. */
static ssize_t
follow_read(struct unpack *u)
{
	for (;;) {
		ssize_t n = read(u->src->fd, u->cbuf, sizeof(u->cbuf));
		char note[256];

		if (n < 0 && errno == EINTR)
			continue;
		if (n != 0 || u->src->follow_fd < 0 || u->follow_done)
			return n;
		n = read(u->src->follow_fd, note, sizeof(note));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			u->follow_done = true; /* read the file once more */
	}
}

/* Reading: container (docker-archive member) -> outer (decompress, hash
 * the blob) -> inner (tar, hash the diff-id). */

static la_ssize_t
outer_read(struct archive *a, void *p, const void **buf)
{
	struct unpack *u = p;
	ssize_t n;

	if (u->container) {
		n = archive_read_data(u->container, u->cbuf, sizeof(u->cbuf));
		if (n < 0) {
			archive_set_error(a, EIO, "%s", archive_error_string(u->container));
			return -1;
		}
	} else {
		n = follow_read(u);
		if (n < 0) {
			archive_set_error(a, errno, "read error");
			return -1;
		}
	}
	digest_update(&u->blob, u->cbuf, n);
	u->cbytes += n;
	*buf = u->cbuf;
	return n;
}

static la_ssize_t
inner_read(struct archive *a, void *p, const void **buf)
{
	struct unpack *u = p;
	la_ssize_t n = archive_read_data(u->outer, u->ubuf, sizeof(u->ubuf));

	if (n < 0) {
		archive_set_error(a, EIO, "%s", archive_error_string(u->outer));
		return -1;
	}
	digest_update(&u->diff, u->ubuf, n);
	u->ubytes += n;
	if (u->ubytes > u->lim->max_bytes) {
		snprintf(u->limit_msg, sizeof(u->limit_msg),
			 "layer is larger than %llu bytes uncompressed", u->lim->max_bytes);
		archive_set_error(a, EFBIG, "%s", u->limit_msg);
		return -1;
	}
	if (u->ubytes > u->lim->ratio_floor && u->ubytes / u->lim->max_ratio > u->cbytes) {
		snprintf(u->limit_msg, sizeof(u->limit_msg),
			 "layer expands more than %llu times: refusing a decompression bomb",
			 u->lim->max_ratio);
		archive_set_error(a, EFBIG, "%s", u->limit_msg);
		return -1;
	}
	*buf = u->ubuf;
	return n;
}

static int
arch_err(struct unpack *u, struct archive *a, struct tk_err *err)
{
	if (u->limit_msg[0])
		return tk_err_set(err, "%s: %s", u->src->what, u->limit_msg);
	return tk_err_set(err, "%s: %s", u->src->what,
			  archive_error_string(a) ? archive_error_string(a) : "unreadable archive");
}

static int
open_streams(struct unpack *u, struct tk_err *err)
{
	struct archive_entry *e;
	int r;

	if (u->src->member) {
		u->container = archive_read_new();
		archive_read_support_filter_all(u->container);
		archive_read_support_format_tar(u->container);
		if (archive_read_open_fd(u->container, u->src->fd, BUFSZ) != ARCHIVE_OK)
			return arch_err(u, u->container, err);
		for (;;) {
			r = archive_read_next_header(u->container, &e);
			if (r == ARCHIVE_EOF)
				return tk_err_set(err, "%s: no member '%s'", u->src->what,
						  u->src->member);
			if (r < ARCHIVE_WARN)
				return arch_err(u, u->container, err);
			if (!strcmp(archive_entry_pathname(e), u->src->member) &&
			    archive_entry_filetype(e) == AE_IFREG)
				break;
		}
	}
	/* Compression formats in-process only: no external programs. */
	u->outer = archive_read_new();
	archive_read_support_filter_none(u->outer);
	archive_read_support_filter_gzip(u->outer);
	archive_read_support_filter_xz(u->outer);
	archive_read_support_filter_lzma(u->outer);
	archive_read_support_filter_bzip2(u->outer);
	archive_read_support_filter_zstd(u->outer);
	archive_read_support_filter_lz4(u->outer);
	archive_read_support_format_raw(u->outer);
	if (archive_read_open(u->outer, u, NULL, outer_read, NULL) != ARCHIVE_OK)
		return arch_err(u, u->outer, err);
	if (archive_read_next_header(u->outer, &e) != ARCHIVE_OK)
		return arch_err(u, u->outer, err);

	u->inner = archive_read_new();
	archive_read_support_filter_none(u->inner);
	archive_read_support_format_tar(u->inner);
	if (archive_read_open(u->inner, u, NULL, inner_read, NULL) != ARCHIVE_OK)
		return arch_err(u, u->inner, err);
	return 0;
}

/* Hash what the tar reader left unread, so digests cover whole streams. */
static int
drain_streams(struct unpack *u, struct tk_err *err)
{
	const void *buf;
	la_ssize_t n;

	while ((n = inner_read(u->inner, u, &buf)) > 0)
		;
	if (n < 0)
		return arch_err(u, u->inner, err);
	while ((n = outer_read(u->outer, u, &buf)) > 0)
		;
	if (n < 0)
		return arch_err(u, u->outer, err);
	return 0;
}

/* Paths: "./a//b/" -> "a/b"; "" is the layer root. Refuses absolute paths,
 * "..", empty names and too deep or too long paths. */
static int
clean_path(struct unpack *u, const char *raw, char **out, struct tk_err *err)
{
	size_t len, depth = 0;
	char *p, *s, *w;

	if (!raw || !*raw)
		return tk_err_set(err, "%s: refusing an entry with an empty name", u->src->what);
	len = strlen(raw);
	if (len >= PATH_MAX)
		return tk_err_set(err, "%s: refusing a path longer than %d bytes", u->src->what,
				  PATH_MAX);
	if (raw[0] == '/')
		return tk_err_set(err, "%s: refusing absolute path '%s'", u->src->what, raw);
	p = xmalloc(len + 1);
	w = p;
	s = (char *)raw;
	while (*s) {
		char *slash = strchr(s, '/');
		size_t n = slash ? (size_t)(slash - s) : strlen(s);

		if (n == 2 && s[0] == '.' && s[1] == '.') {
			free(p);
			return tk_err_set(err, "%s: refusing path with '..': '%s'", u->src->what, raw);
		}
		if (n > 0 && !(n == 1 && s[0] == '.')) {
			if (w != p)
				*w++ = '/';
			memcpy(w, s, n);
			w += n;
			if (++depth > u->lim->max_depth) {
				free(p);
				return tk_err_set(err, "%s: refusing a path deeper than %u: '%.64s...'",
						  u->src->what, u->lim->max_depth, raw);
			}
		}
		s += n;
		if (*s == '/')
			s++;
	}
	*w = 0;
	*out = p;
	return 0;
}

static void
parent_cache_drop(struct unpack *u)
{
	free(u->parent_path);
	u->parent_path = NULL;
	if (u->parent_fd >= 0)
		close(u->parent_fd);
	u->parent_fd = -1;
}

static int
path_error(struct unpack *u, const char *path, struct tk_err *err)
{
	/* O_DIRECTORY|O_NOFOLLOW on a symlink gives ENOTDIR. */
	if (errno == ELOOP || errno == EXDEV || errno == ENOTDIR)
		return tk_err_set(err, "%s: refusing '%s': a symlink or a non-directory on the way",
				  u->src->what, path);
	return tk_err_errno(err, "%s: cannot open '%s'", u->src->what, path);
}

/* An fd for directory path beneath the layer (which never follows a
 * symlink); missing directories are created when create is set. The fd
 * belongs to the cache: do not close it. */
static int
open_dir(struct unpack *u, const char *path, bool create, struct tk_err *err)
{
	int fd;

	if (!*path)
		return u->root;
	if (u->parent_path && !strcmp(u->parent_path, path))
		return u->parent_fd;
	parent_cache_drop(u);
	fd = openat2_beneath(u->root, path, O_PATH | O_DIRECTORY);
	if (fd < 0 && errno == ENOENT && create) {
		cleanup_free char *copy = xstrdup(path);
		int cur = dup(u->root);
		char *s = copy;

		while (cur >= 0 && *s) {
			char *slash = strchr(s, '/');
			int next;

			if (slash)
				*slash = 0;
			next = openat2_beneath(cur, s, O_PATH | O_DIRECTORY);
			if (next < 0 && errno == ENOENT) {
				if (mkdirat(cur, s, 0755) < 0 && errno != EEXIST) {
					close(cur);
					return tk_err_errno(err, "%s: cannot create '%s'",
							    u->src->what, path);
				}
				next = openat2_beneath(cur, s, O_PATH | O_DIRECTORY);
			}
			close(cur);
			cur = next;
			s = slash ? slash + 1 : s + strlen(s);
		}
		fd = cur;
	}
	if (fd < 0)
		return path_error(u, path, err);
	u->parent_path = xstrdup(path);
	u->parent_fd = fd;
	return fd;
}

static void
split_path(char *path, const char **dir, const char **base)
{
	char *slash = strrchr(path, '/');

	if (slash) {
		*slash = 0;
		*dir = path;
		*base = slash + 1;
	} else {
		*dir = "";
		*base = path;
	}
}

/* Remove what name is in dfd, unless keep_dir and it is a directory.
 * Returns 1 when a directory was kept. */
static int
remove_existing(struct unpack *u, int dfd, const char *name, bool keep_dir, struct tk_err *err)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return tk_err_errno(err, "%s: cannot stat '%s'", u->src->what, name);
	}
	if (keep_dir && S_ISDIR(st.st_mode))
		return 1;
	/* dfd (the cached parent) stays valid: only its child goes. */
	if (rm_tree_at(dfd, name, err) < 0)
		return -1;
	return 0;
}

static void
set_owner(struct unpack *u, int fd, const char *name, struct archive_entry *e, int flags)
{
	uid_t uid = archive_entry_uid(e);
	gid_t gid = archive_entry_gid(e);

	if (fchownat(fd, name, uid, gid, flags) < 0 && !u->warned_owner) {
		u->warned_owner = true;
		warn(u, "cannot keep owner %u:%u of '%s' (outside your subordinate ids?): "
		     "files keep your own id", (unsigned)uid, (unsigned)gid,
		     archive_entry_pathname(e));
	}
}

static void
set_xattrs(struct unpack *u, int fd, struct archive_entry *e)
{
	const char *name;
	const void *value;
	size_t size;

	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		/* Only user.*: trusted.* and security.* (file capabilities)
		 * are never set; user.overlay.* would steer overlayfs. */
		if (strncmp(name, "user.", 5) != 0 || strncmp(name, "user.overlay.", 13) == 0) {
			warn(u, "'%s': ignoring xattr '%s'", archive_entry_pathname(e), name);
			continue;
		}
		if (fsetxattr(fd, name, value, size, 0) < 0 && !u->warned_xattr) {
			u->warned_xattr = true;
			warn(u, "'%s': cannot set xattr '%s': %s", archive_entry_pathname(e), name,
			     strerror(errno));
		}
	}
}

static void
entry_times(struct archive_entry *e, struct timespec ts[2])
{
	ts[0].tv_sec = ts[1].tv_sec = archive_entry_mtime(e);
	ts[0].tv_nsec = ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	if (!archive_entry_mtime_is_set(e))
		ts[0].tv_nsec = ts[1].tv_nsec = UTIME_OMIT;
}

/* Owner first: chown clears setuid/setgid bits, which are kept. */
static int
finish_fd(struct unpack *u, int fd, struct archive_entry *e, bool times, struct tk_err *err)
{
	struct timespec ts[2];

	set_owner(u, fd, "", e, AT_EMPTY_PATH);
	if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
		return tk_err_errno(err, "%s: cannot chmod '%s'", u->src->what,
				    archive_entry_pathname(e));
	set_xattrs(u, fd, e);
	if (times) {
		entry_times(e, ts);
		futimens(fd, ts);
	}
	return 0;
}

static int
write_regular(struct unpack *u, int dfd, const char *name, struct archive_entry *e,
	      struct tk_err *err)
{
	cleanup_close int fd = -1;
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;

	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return tk_err_errno(err, "%s: cannot create '%s'", u->src->what,
				    archive_entry_pathname(e));
	while ((r = archive_read_data_block(u->inner, &buf, &size, &off)) == ARCHIVE_OK) {
		const char *p = buf;
		while (size > 0) {
			ssize_t w = pwrite(fd, p, size, off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return tk_err_errno(err, "%s: cannot write '%s'", u->src->what,
						    archive_entry_pathname(e));
			p += w;
			size -= w;
			off += w;
		}
	}
	if (r != ARCHIVE_EOF)
		return arch_err(u, u->inner, err);
	if (archive_entry_size_is_set(e) && ftruncate(fd, archive_entry_size(e)) < 0)
		return tk_err_errno(err, "%s: cannot write '%s'", u->src->what,
				    archive_entry_pathname(e));
	u->res->size += archive_entry_size(e);
	return finish_fd(u, fd, e, true, err);
}

static int
write_dir(struct unpack *u, int dfd, const char *name, const char *path,
	  struct archive_entry *e, struct tk_err *err)
{
	cleanup_close int fd = -1;
	struct dir_time *dt;
	int r;

	if (*name) {
		r = remove_existing(u, dfd, name, true, err);
		if (r < 0)
			return -1;
		if (r == 0 && mkdirat(dfd, name, 0700) < 0)
			return tk_err_errno(err, "%s: cannot create '%s'", u->src->what, path);
		fd = openat2_beneath(dfd, name, O_RDONLY | O_DIRECTORY);
	} else {
		fd = dup(u->root);
	}
	if (fd < 0)
		return path_error(u, path, err);
	if (finish_fd(u, fd, e, false, err) < 0)
		return -1;
	/* Directory times last: writing children changes them. */
	if (archive_entry_mtime_is_set(e)) {
		if (u->ndirs == u->capdirs) {
			u->capdirs = u->capdirs ? 2 * u->capdirs : 64;
			u->dirs = xrealloc(u->dirs, u->capdirs * sizeof(*u->dirs));
		}
		dt = &u->dirs[u->ndirs++];
		dt->path = xstrdup(path);
		entry_times(e, dt->ts);
	}
	return 0;
}

static int
write_whiteout(struct unpack *u, int dfd, const char *dir, const char *name,
	       struct tk_err *err)
{
	const char *target = name + 4;
	cleanup_close int fd = -1;

	if (!strcmp(name, ".wh..wh..opq")) {
		fd = *dir ? openat2_beneath(u->root, dir, O_RDONLY | O_DIRECTORY) : dup(u->root);
		if (fd < 0)
			return path_error(u, dir, err);
		if (fsetxattr(fd, "user.overlay.opaque", "y", 1, 0) < 0)
			return tk_err_errno(err, "%s: cannot mark '%s' opaque", u->src->what,
					    *dir ? dir : ".");
		return 0;
	}
	if (!strncmp(name, ".wh..wh.", 8))
		return 0; /* aufs metadata (.wh..wh.plnk, .wh..wh.aufs) */
	if (!*target || !strcmp(target, ".") || !strcmp(target, ".."))
		return tk_err_set(err, "%s: refusing whiteout '%s%s%s'", u->src->what, dir,
				  *dir ? "/" : "", name);
	if (remove_existing(u, dfd, target, false, err) < 0)
		return -1;
	if (mknodat(dfd, target, S_IFCHR | 0, makedev(0, 0)) < 0)
		return tk_err_errno(err, "%s: cannot create whiteout for '%s%s%s'", u->src->what,
				    dir, *dir ? "/" : "", target);
	return 0;
}

static int
write_hardlink(struct unpack *u, int dfd, const char *name, struct archive_entry *e,
	       struct tk_err *err)
{
	cleanup_free char *tpath = NULL;
	const char *tdir, *tname;
	cleanup_close int tfd = -1;
	struct stat st;

	if (clean_path(u, archive_entry_hardlink(e), &tpath, err) < 0)
		return -1;
	split_path(tpath, &tdir, &tname);
	if (!*tname)
		return tk_err_set(err, "%s: refusing hardlink to the layer root", u->src->what);
	/* Resolve the target's directory beneath the layer, never creating. */
	tfd = *tdir ? openat2_beneath(u->root, tdir, O_PATH | O_DIRECTORY) : dup(u->root);
	if (tfd < 0)
		return path_error(u, archive_entry_hardlink(e), err);
	if (fstatat(tfd, tname, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)))
		return tk_err_set(err, "%s: refusing hardlink '%s' to '%s': not a file of this layer",
				  u->src->what, archive_entry_pathname(e),
				  archive_entry_hardlink(e));
	if (remove_existing(u, dfd, name, false, err) < 0)
		return -1;
	/* flags 0: a symlink target is linked itself, never followed. */
	if (linkat(tfd, tname, dfd, name, 0) < 0)
		return tk_err_errno(err, "%s: cannot link '%s'", u->src->what,
				    archive_entry_pathname(e));
	return 0;
}

static int
write_entry(struct unpack *u, struct archive_entry *e, struct tk_err *err)
{
	cleanup_free char *path = NULL, *full = NULL;
	const char *dir, *name;
	struct timespec ts[2];
	mode_t type = archive_entry_filetype(e);
	int dfd;

	if (++u->res->entries > u->lim->max_entries)
		return tk_err_set(err, "%s: more than %llu entries", u->src->what,
				  u->lim->max_entries);
	if (clean_path(u, archive_entry_pathname(e), &path, err) < 0)
		return -1;
	full = xstrdup(path);
	split_path(path, &dir, &name);
	if (!*name) {
		/* "." : the layer root; only its metadata applies. */
		if (type == AE_IFDIR)
			return write_dir(u, u->root, "", "", e, err);
		return tk_err_set(err, "%s: refusing a non-directory at the layer root",
				  u->src->what);
	}
	if (!strncmp(name, ".wh.", 4)) {
		dfd = open_dir(u, dir, true, err);
		if (dfd < 0)
			return -1;
		return write_whiteout(u, dfd, dir, name, err);
	}
	if (!archive_entry_hardlink(e) && (type == AE_IFCHR || type == AE_IFBLK ||
					   type == AE_IFSOCK)) {
		warn(u, "skipping device node or socket '%s'", full);
		return 0;
	}
	dfd = open_dir(u, dir, true, err);
	if (dfd < 0)
		return -1;
	if (archive_entry_hardlink(e))
		return write_hardlink(u, dfd, name, e, err);
	switch (type) {
	case AE_IFDIR:
		return write_dir(u, dfd, name, full, e, err);
	case AE_IFREG:
		if (remove_existing(u, dfd, name, false, err) < 0)
			return -1;
		return write_regular(u, dfd, name, e, err);
	case AE_IFLNK:
		if (!archive_entry_symlink(e))
			return tk_err_set(err, "%s: symlink '%s' without a target", u->src->what, full);
		if (remove_existing(u, dfd, name, false, err) < 0)
			return -1;
		if (symlinkat(archive_entry_symlink(e), dfd, name) < 0)
			return tk_err_errno(err, "%s: cannot create '%s'", u->src->what, full);
		set_owner(u, dfd, name, e, AT_SYMLINK_NOFOLLOW);
		entry_times(e, ts);
		utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW);
		return 0;
	case AE_IFIFO: {
		cleanup_close int fd = -1;

		if (remove_existing(u, dfd, name, false, err) < 0)
			return -1;
		if (mkfifoat(dfd, name, 0600) < 0)
			return tk_err_errno(err, "%s: cannot create '%s'", u->src->what, full);
		fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return tk_err_errno(err, "%s: cannot open '%s'", u->src->what, full);
		set_owner(u, fd, "", e, AT_EMPTY_PATH);
		fchmodat(dfd, name, archive_entry_perm(e) & 07777, 0);
		entry_times(e, ts);
		utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW);
		return 0;
	}
	default:
		warn(u, "skipping '%s' of unknown type", full);
		return 0;
	}
}

static void
apply_dir_times(struct unpack *u)
{
	for (size_t i = u->ndirs; i-- > 0;) {
		struct dir_time *dt = &u->dirs[i];
		int fd = *dt->path ? openat2_beneath(u->root, dt->path, O_RDONLY | O_DIRECTORY)
				   : dup(u->root);
		if (fd >= 0) {
			futimens(fd, dt->ts);
			close(fd);
		}
	}
}

static int
unpack_stream(struct unpack *u, struct tk_err *err)
{
	struct archive_entry *e;
	char hex[65];
	int r;

	if (open_streams(u, err) < 0)
		return -1;
	for (;;) {
		r = archive_read_next_header(u->inner, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r == ARCHIVE_WARN) {
			warn(u, "%s", archive_error_string(u->inner));
		} else if (r != ARCHIVE_OK) {
			return arch_err(u, u->inner, err);
		}
		if (write_entry(u, e, err) < 0)
			return -1;
	}
	if (drain_streams(u, err) < 0)
		return -1;
	apply_dir_times(u);

	digest_final(&u->diff, hex);
	memcpy(u->res->diffid, hex, sizeof(hex));
	digest_final(&u->blob, hex);
	memcpy(u->res->blob, hex, sizeof(hex));
	if (u->src->expect_blob && strcmp(u->src->expect_blob, u->res->blob))
		return tk_err_set(err, "%s: digest mismatch: expected sha256:%s, got sha256:%s",
				  u->src->what, u->src->expect_blob, u->res->blob);
	if (u->src->expect_diffid && strcmp(u->src->expect_diffid, u->res->diffid))
		return tk_err_set(err, "%s: diff-id mismatch: expected sha256:%s, got sha256:%s",
				  u->src->what, u->src->expect_diffid, u->res->diffid);
	return 0;
}

struct extract_arg {
	int dirfd;
	const char *name;
	const struct layer_source *src;
	const struct layer_limits *lim;
	bool quiet;
	struct layer_result *res;   /* shared with the parent */
};

/* Runs inside the user namespace, as its root. */
static int
extract_fn(void *p, struct tk_err *err)
{
	struct extract_arg *a = p;
	struct unpack *u = xcalloc(1, sizeof(*u));
	int ret = -1;

	u->src = a->src;
	u->lim = a->lim;
	u->quiet = a->quiet;
	u->res = a->res;
	u->root = -1;
	u->parent_fd = -1;
	umask(0);
	if (digest_init(&u->blob, err) < 0 || digest_init(&u->diff, err) < 0)
		goto out;
	if (mkdirat(a->dirfd, a->name, 0755) < 0) {
		tk_err_errno(err, "cannot create '%s'", a->name);
		goto out;
	}
	u->root = openat(a->dirfd, a->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (u->root < 0) {
		tk_err_errno(err, "cannot open '%s'", a->name);
		goto out;
	}
	ret = unpack_stream(u, err);
out:
	parent_cache_drop(u);
	if (u->root >= 0)
		close(u->root);
	if (u->inner)
		archive_read_free(u->inner);
	if (u->outer)
		archive_read_free(u->outer);
	if (u->container)
		archive_read_free(u->container);
	digest_free(&u->blob);
	digest_free(&u->diff);
	for (size_t i = 0; i < u->ndirs; i++)
		free(u->dirs[i].path);
	free(u->dirs);
	free(u);
	if (ret < 0) {
		struct tk_err ignored;
		rm_tree_at(a->dirfd, a->name, &ignored);
	}
	return ret;
}

int
layer_extract(int dirfd, const char *name, const struct layer_source *src,
	      const struct layer_limits *lim, bool quiet, struct layer_result *res,
	      struct tk_err *err)
{
	struct extract_arg a = { dirfd, name, src, lim, quiet, NULL };
	int r;

	a.res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	if (a.res == MAP_FAILED)
		return tk_err_errno(err, "cannot map memory");
	memset(a.res, 0, sizeof(*a.res));
	r = userns_run(extract_fn, &a, err);
	if (r == 0)
		*res = *a.res;
	munmap(a.res, sizeof(*res));
	return r;
}

struct layer_job_shared {
	struct layer_result res;
	struct tk_err err;
	int done;
};

static void
close_all_but(const int *keep, size_t n)
{
	int maxfd = 3;

	for (size_t i = 0; i < n; i++)
		if (keep[i] + 1 > maxfd)
			maxfd = keep[i] + 1;
	for (int fd = 3; fd < maxfd; fd++) {
		bool k = false;
		for (size_t i = 0; i < n; i++)
			k = k || keep[i] == fd;
		if (!k)
			close(fd);
	}
	close_range(maxfd, ~0U, 0);
}

int
layer_extract_start(struct layer_job *job, int dirfd, const char *name,
		    const struct layer_source *src, const struct layer_limits *lim, bool quiet,
		    struct tk_err *err)
{
	struct layer_job_shared *sh;
	pid_t pid;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return tk_err_errno(err, "cannot map memory");
	memset(sh, 0, sizeof(*sh));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		munmap(sh, sizeof(*sh));
		return tk_err_errno(err, "cannot fork");
	}
	if (pid == 0) {
		int keep[] = { dirfd, src->fd, src->follow_fd };

		/* Dies with tk-pull; holds no descriptor of other jobs. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close_all_but(keep, 3);
		if (layer_extract(dirfd, name, src, lim, quiet, &sh->res, &sh->err) < 0)
			_exit(1);
		sh->done = 1;
		_exit(0);
	}
	job->pid = pid;
	job->shared = sh;
	return 0;
}

int
layer_extract_wait(struct layer_job *job, bool hang, struct layer_result *res,
		   struct tk_err *err)
{
	int status, r;

	if (job->pid <= 0)
		return tk_err_set(err, "no unpacker running");
	while ((r = waitpid(job->pid, &status, hang ? 0 : WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == 0)
		return 1;
	job->pid = 0;
	if (r < 0)
		r = tk_err_errno(err, "cannot wait for the unpacker");
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && job->shared->done) {
		*res = job->shared->res;
		r = 0;
	} else if (job->shared->err.msg[0]) {
		job->shared->err.msg[sizeof(job->shared->err.msg) - 1] = 0;
		*err = job->shared->err;
		r = -1;
	} else {
		r = tk_err_set(err, "the unpacker died (status %d)", status);
	}
	munmap(job->shared, sizeof(*job->shared));
	job->shared = NULL;
	return r;
}

void
layer_extract_kill(struct layer_job *job)
{
	struct layer_result res;
	struct tk_err err;

	if (job->pid <= 0)
		return;
	kill(job->pid, SIGKILL);
	layer_extract_wait(job, true, &res, &err);
}

struct worker_arg {
	int dirfd, partfd, follow_fd, give_fd;
	const struct layer_limits *lim;
	bool quiet;
	struct layer_result *res;
};

static bool
work_name_ok(const char *s, size_t n)
{
	return memchr(s, 0, n) && *s && *s != '.' && !strchr(s, '/');
}

/* Inside the user namespace: wait for the job, then unpack it. */
static int
worker_fn(void *p, struct tk_err *err)
{
	struct worker_arg *wa = p;
	struct layer_work w;
	struct layer_source src = { .follow_fd = wa->follow_fd };
	struct extract_arg a = { wa->dirfd, w.name, &src, wa->lim, wa->quiet, wa->res };
	ssize_t n;
	int ret;

	while ((n = read(wa->give_fd, &w, sizeof(w))) < 0 && errno == EINTR)
		;
	if (n == 0)
		return tk_err_set(err, "no layer for the unpacker");
	if (n != (ssize_t)sizeof(w) || !work_name_ok(w.name, sizeof(w.name)) ||
	    !work_name_ok(w.part, sizeof(w.part)) || !memchr(w.what, 0, sizeof(w.what)) ||
	    !memchr(w.expect_blob, 0, sizeof(w.expect_blob)) ||
	    !memchr(w.expect_diffid, 0, sizeof(w.expect_diffid)))
		return tk_err_set(err, "bad job for the unpacker");
	close(wa->give_fd);
	src.fd = openat(w.part_in_dirfd ? wa->dirfd : wa->partfd, w.part,
			O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (src.fd < 0)
		return tk_err_errno(err, "cannot open '%s'", w.part);
	src.what = w.what;
	src.expect_blob = w.expect_blob[0] ? w.expect_blob : NULL;
	src.expect_diffid = w.expect_diffid[0] ? w.expect_diffid : NULL;
	ret = extract_fn(&a, err);
	close(src.fd);
	return ret;
}

int
layer_worker_start(struct layer_job *job, int dirfd, int partfd, int follow_fd,
		   const struct layer_limits *lim, bool quiet, int *give_fd, struct tk_err *err)
{
	struct layer_job_shared *sh;
	int give[2];
	pid_t pid;

	if (pipe2(give, O_CLOEXEC) < 0)
		return tk_err_errno(err, "cannot create a pipe");
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		close(give[0]);
		close(give[1]);
		return tk_err_errno(err, "cannot map memory");
	}
	memset(sh, 0, sizeof(*sh));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(give[0]);
		close(give[1]);
		munmap(sh, sizeof(*sh));
		return tk_err_errno(err, "cannot fork");
	}
	if (pid == 0) {
		int keep[] = { dirfd, partfd, follow_fd, give[0] };
		struct worker_arg wa = { dirfd, partfd, follow_fd, give[0], lim, quiet, &sh->res };

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close_all_but(keep, 4);
		if (userns_run(worker_fn, &wa, &sh->err) < 0)
			_exit(1);
		sh->done = 1;
		_exit(0);
	}
	close(give[0]);
	job->pid = pid;
	job->shared = sh;
	*give_fd = give[1];
	return 0;
}

int
layer_worker_give(int give_fd, const struct layer_work *w, struct tk_err *err)
{
	/* One small write to a fresh pipe: it fits, and it is atomic. A
	 * worker that died makes it fail, not kill us. */
	if (write_nosigpipe(give_fd, w, sizeof(*w)) != (ssize_t)sizeof(*w))
		return tk_err_errno(err, "cannot hand the layer to the unpacker");
	return 0;
}
