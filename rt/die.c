/* The runtime's way out: one line on stderr, then _exit, never exit():
 * G and tk-exec's child share their parent's memory (CLONE_VM) and must
 * not flush or run anything of the parent's. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rt.h"

const char *rt_prog = "tk-run";
int die_notify_fd = -1;
void (*die_hook)(void);

static _Noreturn void
vdie(int status, int errnum, const char *fmt, va_list ap)
{
	char buf[512], b = TK_NOTIFY_FAILED;
	int n = snprintf(buf, sizeof(buf), "%s: ", rt_prog);

	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (errnum && (size_t)n < sizeof(buf))
		n += snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(errnum));
	if ((size_t)n >= sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	(void)!write(2, buf, n);
	/* G: a failure is told to the runner through a close-on-exec pipe,
	 * whose EOF alone means the payload was executed. */
	if (die_notify_fd >= 0)
		(void)!write(die_notify_fd, &b, 1);
	if (die_hook)
		die_hook();
	_exit(status);
}

void
die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdie(status, 0, fmt, ap);
}

void
die_errno(int status, const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vdie(status, e, fmt, ap);
}

/* Beneath DIRFD, no symlink, no magic link, no ".." out of it. */
int
openat_beneath(int dirfd, const char *path, int flags, uint64_t resolve)
{
	struct open_how how = {
		.flags = (uint64_t)flags | O_CLOEXEC | O_NOFOLLOW,
		.resolve = resolve | RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_SYMLINKS,
	};

	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

int
open_store_dir(int dirfd, const char *name)
{
	int fd = openat_beneath(dirfd, name, O_RDONLY | O_DIRECTORY, 0);

	if (fd < 0)
		die_errno(TK_EXIT_FAIL, "cannot open '%s' in the store", name);
	return fd;
}
