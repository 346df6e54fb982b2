/* tk-helper: dying, validating, opening beneath a directory. */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "helper.h"

static _Noreturn void
vdie(int status, int errnum, const char *fmt, va_list ap)
{
	char buf[512];
	int n;

	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (errnum)
		n += snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(errnum));
	if ((size_t)n >= sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	/* One write, so concurrent messages do not interleave. */
	if (check_only)
		(void)!write(2, "tk-helper: check: refused: ", 27);
	else
		(void)!write(2, "tk-helper: ", 11);
	(void)!write(2, buf, n);
	_exit(status);
}

#ifdef TK_FUZZ
/* fuzz/ only (never in an installed helper): die() returns to the
 * harness instead of ending the process. */
#include <setjmp.h>
jmp_buf *tk_fuzz_jmp;
#define FUZZ_RETURN() do { if (tk_fuzz_jmp) longjmp(*tk_fuzz_jmp, 1); } while (0)
#else
#define FUZZ_RETURN() do { } while (0)
#endif

void
die(int status, const char *fmt, ...)
{
	va_list ap;

	FUZZ_RETURN();
	va_start(ap, fmt);
	vdie(status, 0, fmt, ap);
}

void
die_errno(int status, const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	FUZZ_RETURN();
	va_start(ap, fmt);
	vdie(status, e, fmt, ap);
}

void
die_denied(const char *detail, ...)
{
	char buf[256];
	va_list ap;

	FUZZ_RETURN();
	va_start(ap, detail);
	vsnprintf(buf, sizeof(buf), detail, ap);
	va_end(ap);
	/* check runs with the caller's rights: it learns nothing new. */
	if (check_only)
		die(TK_EXIT_FAIL, "%s", buf);
	/* LOG_AUTHPRIV: details are for the admin, not for the caller. */
	openlog("tk-helper", LOG_PID, LOG_AUTHPRIV);
	syslog(LOG_WARNING, "uid %u: %s", (unsigned)caller.uid, buf);
	closelog();
	die(TK_EXIT_FAIL, "permission denied");
}

bool
parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1]))
		return false;   /* no sign, no space, not empty, no octal look-alikes */
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

bool
parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v;

	if (!parse_u64(s, &v) || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

ssize_t
read_small(int dirfd, const char *name, char *buf, size_t size)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

void
write_all_or_die(int fd, const char *buf, size_t len, const char *what)
{
	while (len > 0) {
		ssize_t r = write(fd, buf, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die_errno(TK_EXIT_FAIL, "cannot write %s", what);
		buf += r;
		len -= r;
	}
}

void
become_caller(void)
{
	uid_t r, e, s;

	if (setresgid(caller.gid, caller.gid, caller.gid) < 0 ||
	    setresuid(caller.uid, caller.uid, caller.uid) < 0)
		die_errno(TK_EXIT_FAIL, "cannot drop privileges");
	if (getresuid(&r, &e, &s) < 0 || r != caller.uid || e != caller.uid || s != caller.uid)
		die(TK_EXIT_FAIL, "privilege drop did not hold");
}

/*
 * SECURITY.md 8. The caller chooses the limits the helper starts with: a
 * file size limit of 0 or five descriptors could make it fail half way,
 * after the container exists (attack 6). It works with limits of its own;
 * nothing of the caller's runs under them (the container's processes are
 * the runner's, rt/run.c, never the helper's). Where
 * even root may not raise a hard limit (no CAP_SYS_RESOURCE in the
 * bounding set), it takes the hard limit, and refuses to start below
 * what it needs, before it has done anything.
 */
static const struct {
	int res;
	const char *name;
	rlim_t want, need;
} own_limits[] = {
	{ RLIMIT_NOFILE, "open files (ulimit -n)", 1024, 64 },
	{ RLIMIT_FSIZE, "file size (ulimit -f)", RLIM_INFINITY, 1 << 20 },
	{ RLIMIT_CORE, "core file size", 0, 0 },
};

void
limits_for_helper(void)
{
	for (int i = 0; i < 3; i++) {
		struct rlimit caller_limit, r;
		if (getrlimit(own_limits[i].res, &caller_limit) < 0)
			die_errno(TK_EXIT_FAIL, "cannot read resource limits");
		r = caller_limit;
		if (own_limits[i].res == RLIMIT_CORE)
			r.rlim_cur = 0;
		else if (r.rlim_cur < own_limits[i].want)
			r.rlim_cur = own_limits[i].want;
		if (r.rlim_max < r.rlim_cur)
			r.rlim_max = r.rlim_cur;
		if (setrlimit(own_limits[i].res, &r) == 0)
			continue;
		r = caller_limit;
		r.rlim_cur = r.rlim_max;
		if (r.rlim_max < own_limits[i].need || setrlimit(own_limits[i].res, &r) < 0)
			die(TK_EXIT_FAIL, "the resource limit on %s is too low to start a "
			    "container: raise it", own_limits[i].name);
	}
}
