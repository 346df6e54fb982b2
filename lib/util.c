#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "protocol.h"
#include "util.h"
#include "banned.h"

void
cleanup_closep(int *fd)
{
	if (*fd >= 0) {
		int e = errno;
		close(*fd);
		errno = e;
	}
}

void
cleanup_strvp(char ***v)
{
	strv_free(*v);
}

static _Noreturn void
oom(void)
{
	fprintf(stderr, "%s: out of memory\n", tk_prog);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (!p)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		oom();
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (r < 0)
		oom();
	return p;
}

size_t
strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

void
strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

char **
strv_dup(char *const *v)
{
	size_t n = strv_len(v);
	char **r = xcalloc(n + 1, sizeof(*r));
	for (size_t i = 0; i < n; i++)
		r[i] = xstrdup(v[i]);
	return r;
}

bool
strv_has(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

void
strv_push(char ***v, const char *s)
{
	size_t n = strv_len(*v);
	*v = xrealloc(*v, (n + 2) * sizeof(**v));
	(*v)[n] = xstrdup(s);
	(*v)[n + 1] = NULL;
}

bool
tk_valid_name(const char *s)
{
	return tk_valid_id(s);
}

bool
tk_valid_hex64(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 64;
}

int
tk_random_id(char buf[65], struct tk_err *err)
{
	unsigned char raw[32];
	static const char hex[] = "0123456789abcdef";

	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		return tk_err_errno(err, "cannot get random bytes");
	for (int i = 0; i < 32; i++) {
		buf[2 * i] = hex[raw[i] >> 4];
		buf[2 * i + 1] = hex[raw[i] & 15];
	}
	buf[64] = 0;
	return 0;
}

char *
read_fd_all(int fd, size_t max, size_t *len, const char *what, struct tk_err *err)
{
	/* Start small and grow: records are a few KiB, MAX is a bound, and a
	 * MAX-sized buffer would be a fresh mmap and munmap on every call. */
	size_t cap = max < 16383 ? max + 1 : 16384, n = 0;
	cleanup_free char *buf = xmalloc(cap);
	ssize_t r;

	for (;;) {
		if (n == cap) {
			cap = cap > max / 2 ? max + 1 : cap * 2;
			buf = xrealloc(buf, cap);
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			tk_err_errno(err, "cannot read '%s'", what);
			return NULL;
		}
		if (r == 0)
			break;
		n += r;
		if (n > max) {
			tk_err_set(err, "'%s' is larger than %zu bytes", what, max);
			return NULL;
		}
	}
	buf[n] = 0;   /* n < cap: the loop grows the buffer before a read */
	if (len)
		*len = n;
	return steal_ptr(&buf);
}

char *
read_file_at(int dirfd, const char *name, size_t max, size_t *len, struct tk_err *err)
{
	cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		tk_err_errno(err, "cannot open '%s'", name);
		return NULL;
	}
	return read_fd_all(fd, max, len, name, err);
}

int
write_file_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
	      struct tk_err *err)
{
	return write_file_sync_at(dirfd, name, data, len, mode, true, err);
}

int
write_file_sync_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		   bool sync, struct tk_err *err)
{
	cleanup_free char *tmp = xasprintf("%s.tmp.%d", name, (int)getpid());
	cleanup_close int fd = -1;
	const char *p = data;

	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return tk_err_errno(err, "cannot create '%s'", tmp);
	while (len > 0) {
		ssize_t r = write(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			tk_err_errno(err, "cannot write '%s'", tmp);
			unlinkat(dirfd, tmp, 0);
			return -1;
		}
		p += r;
		len -= r;
	}
	if ((sync && fsync(fd) < 0) || renameat(dirfd, tmp, dirfd, name) < 0) {
		tk_err_errno(err, "cannot write '%s'", name);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	return 0;
}

static int
rm_tree_fd(int dfd, dev_t dev, int depth, struct tk_err *err)
{
	DIR *d;
	struct dirent *de;
	int ret = 0;

	if (depth > 4096)
		return tk_err_set(err, "directory tree too deep to remove");
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return tk_err_errno(err, "cannot read directory");
	}
	while ((de = readdir(d))) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			ret = tk_err_errno(err, "cannot stat '%s'", de->d_name);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int cfd;
			if (st.st_dev != dev) {
				ret = tk_err_set(err, "'%s' is a mount point: not removing", de->d_name);
				break;
			}
			/* Removing needs write+search on the directory. */
			if ((st.st_mode & 0700) != 0700)
				fchmodat(dirfd(d), de->d_name, st.st_mode | 0700, 0);
			cfd = openat(dirfd(d), de->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0) {
				ret = tk_err_errno(err, "cannot open '%s'", de->d_name);
				break;
			}
			if (rm_tree_fd(cfd, dev, depth + 1, err) < 0) {
				ret = -1;
				break;
			}
			if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
				ret = tk_err_errno(err, "cannot remove '%s'", de->d_name);
				break;
			}
		} else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
			ret = tk_err_errno(err, "cannot remove '%s'", de->d_name);
			break;
		}
	}
	closedir(d);
	return ret;
}

int
rm_tree_at(int dirfd, const char *name, struct tk_err *err)
{
	struct stat st;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : tk_err_errno(err, "cannot stat '%s'", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return tk_err_errno(err, "cannot remove '%s'", name);
		return 0;
	}
	if ((st.st_mode & 0700) != 0700)
		fchmodat(dirfd, name, st.st_mode | 0700, 0);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return tk_err_errno(err, "cannot open '%s'", name);
	if (rm_tree_fd(fd, st.st_dev, 0, err) < 0)
		return -1;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return tk_err_errno(err, "cannot remove '%s'", name);
	return 0;
}

long long
tk_now(void)
{
	return (long long)time(NULL);
}

void
tk_human_ago(long long secs, char *buf, size_t n)
{
	if (secs < 1)
		snprintf(buf, n, "Less than a second ago");
	else if (secs < 60)
		snprintf(buf, n, "%lld second%s ago", secs, secs == 1 ? "" : "s");
	else if (secs < 3600)
		snprintf(buf, n, "%lld minute%s ago", secs / 60, secs / 60 == 1 ? "" : "s");
	else if (secs < 86400)
		snprintf(buf, n, "%lld hour%s ago", secs / 3600, secs / 3600 == 1 ? "" : "s");
	else
		snprintf(buf, n, "%lld day%s ago", secs / 86400, secs / 86400 == 1 ? "" : "s");
}

const char *
tk_quote(const char *s, char *buf, size_t n)
{
	size_t o = 0;

	for (; *s && o + 5 < n; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(buf + o, n - o, "\\x%02x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	if (*s && o + 4 <= n) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = 0;
	return buf;
}

ssize_t
write_nosigpipe(int fd, const void *buf, size_t n)
{
	sigset_t pipe_set, old, pending;
	struct timespec zero = { 0, 0 };
	bool was_pending;
	ssize_t r;
	int e;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	r = write(fd, buf, n);
	e = errno;
	/* The SIGPIPE of this write is pending on this thread: take it. */
	if (r < 0 && e == EPIPE && !was_pending)
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return r;
}
