#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logs.h"
#include "util.h"
#include "banned.h"

#define LOG_FILE_MAX (1LL << 31)

/* One parsed record; text points into the buffer it came from. */
struct record {
	const char *ts, *text;
	size_t tslen, textlen;
	bool err, full;
};

struct out_state {
	const struct logs_opts *o;
	bool midline[2];    /* per stream: the last record was a P */
};

static bool
parse_record(const char *line, size_t len, struct record *r)
{
	const char *sp1 = memchr(line, ' ', len), *sp2;

	if (!sp1)
		return false;
	sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line));
	if (!sp2 || (size_t)(sp2 - line) + 3 > len || sp2[2] != ' ')
		return false;
	r->ts = line;
	r->tslen = (size_t)(sp1 - line);
	r->err = (size_t)(sp2 - sp1 - 1) == 6 && !memcmp(sp1 + 1, "stderr", 6);
	r->full = sp2[1] == 'F';
	r->text = sp2 + 3;
	r->textlen = len - (size_t)(sp2 + 3 - line);
	return true;
}

static void
emit(struct out_state *s, const struct record *r)
{
	FILE *f = r->err ? stderr : stdout;

	if (s->o->stderr_only && !r->err)
		return;
	if (s->o->timestamps && !s->midline[r->err])
		fprintf(f, "%.*s ", (int)r->tslen, r->ts);
	fwrite(r->text, 1, r->textlen, f);
	if (r->full)
		fputc('\n', f);
	s->midline[r->err] = !r->full;
}

/* Records in buf[0..len): every complete line. Returns the bytes used. */
static size_t
emit_all(struct out_state *s, const char *buf, size_t len, size_t skip_lines)
{
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		struct record r;
		if (!nl)
			break;
		if (parse_record(buf + pos, (size_t)(nl - buf - pos), &r)) {
			if (skip_lines == 0)
				emit(s, &r);
			else if (r.full)
				skip_lines--;
		}
		pos = (size_t)(nl - buf) + 1;
	}
	return pos;
}

/* Lines of output (F records, plus a trailing run of P records) in buf. */
static size_t
count_lines(const char *buf, size_t len)
{
	size_t n = 0;
	bool open = false;

	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		struct record r;
		if (!nl)
			break;
		if (parse_record(buf + pos, (size_t)(nl - buf - pos), &r)) {
			if (r.full) {
				n++;
				open = false;
			} else {
				open = true;
			}
		}
		pos = (size_t)(nl - buf) + 1;
	}
	return n + open;
}

bool
logs_monitor_alive(int ctdirfd)
{
	cleanup_close int fd = openat(ctdirfd, TK_CT_MONITOR, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0)
		return false;
	return errno == EWOULDBLOCK;
}

static bool
same_file(int fd, int dirfd, const char *name)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	       a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/* Read what is new in fd and print its complete records; keeps a partial
 * record in *pend for the next round. */
static int
drain(struct out_state *s, int fd, char **pend, size_t *plen)
{
	char chunk[65536];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		*pend = xrealloc(*pend, *plen + (size_t)n);
		memcpy(*pend + *plen, chunk, (size_t)n);
		*plen += (size_t)n;
		size_t used = emit_all(s, *pend, *plen, 0);
		memmove(*pend, *pend + used, *plen - used);
		*plen -= used;
	}
	return 0;
}

/* Takes fd and pend (a partial record already read from it). */
static int
follow(struct out_state *s, int ctdirfd, int fd, char *pend, size_t plen, struct tk_err *err)
{
	cleanup_close int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	cleanup_close int cur = fd;
	char path[32];

	/* inotify watches a path: /proc/self/fd/N names our directory. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ctdirfd);
	if (in >= 0)
		inotify_add_watch(in, path, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE |
				  IN_DELETE_SELF);
	for (;;) {
		bool done = !logs_monitor_alive(ctdirfd);
		if (drain(s, cur, &pend, &plen) < 0) {
			free(pend);
			return tk_err_errno(err, "cannot read the log");
		}
		if (!same_file(cur, ctdirfd, TK_CT_LOG)) {
			/* Rotated (read the rest above) or removed. */
			int nfd = openat(ctdirfd, TK_CT_LOG, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			if (nfd < 0)
				break;
			close(cur);
			cur = nfd;
			plen = 0;
			continue;
		}
		if (fflush(stdout) != 0 || fflush(stderr) != 0) {
			free(pend);
			return tk_err_errno(err, "write error");
		}
		if (done)
			break;
		struct pollfd p = { .fd = in, .events = POLLIN };
		/* The timeout is only a fallback for a lost event. */
		if (poll(&p, in >= 0 ? 1 : 0, 1000) > 0) {
			char ev[4096];
			while (read(in, ev, sizeof(ev)) > 0)
				;
		}
	}
	free(pend);
	return 0;
}

int
logs_print(int ctdirfd, const struct logs_opts *o, struct tk_err *err)
{
	cleanup_free char *old = NULL, *cur = NULL;
	size_t oldlen = 0, curlen = 0, skip = 0;
	struct out_state s = { .o = o };
	cleanup_close int fd = -1;
	int r = 0;

	fd = openat(ctdirfd, TK_CT_LOG, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return tk_err_set(err, "no logs: only containers run with -d keep them");
		return tk_err_errno(err, "cannot open the log");
	}
	old = read_file_at(ctdirfd, TK_CT_LOG_OLD, LOG_FILE_MAX, &oldlen, NULL);
	if (!(cur = read_fd_all(fd, LOG_FILE_MAX, &curlen, "log", err)))
		return -1;
	if (o->tail >= 0) {
		size_t n = (old ? count_lines(old, oldlen) : 0) + count_lines(cur, curlen);
		skip = n > (size_t)o->tail ? n - (size_t)o->tail : 0;
	}
	if (old) {
		size_t n = count_lines(old, oldlen);
		emit_all(&s, old, oldlen, skip);
		skip = skip > n ? skip - n : 0;
	}
	size_t used = emit_all(&s, cur, curlen, skip);
	if (o->follow) {
		char *pend = xmalloc(curlen - used + 1);
		memcpy(pend, cur + used, curlen - used);
		r = follow(&s, ctdirfd, steal_fd(&fd), pend, curlen - used, err);
	}
	if (fflush(stdout) != 0 || fflush(stderr) != 0 || ferror(stdout))
		return tk_err_errno(err, "write error");
	return r;
}
