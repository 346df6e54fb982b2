/* tiocsti: push "INJECTED" into the terminal on fds 0, 1, 2 and
 * /dev/tty with TIOCSTI (CVE-2017-5226), and print what each try gave:
 * "fd0=EPERM", "tty=ENXIO", or "fd0=ok" when the kernel took the bytes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static void
push(const char *what, int fd)
{
	const char *s = "INJECTED\n";
	int r = 0;

	for (; *s && r == 0; s++)
		r = ioctl(fd, TIOCSTI, s);
	if (r == 0)
		printf("%s=ok\n", what);
	else
		printf("%s=%s\n", what, errno == EPERM ? "EPERM" : errno == ENOTTY ? "ENOTTY" :
		       errno == EIO ? "EIO" : errno == EBADF ? "EBADF" : strerror(errno));
}

int
main(void)
{
	int tty;

	push("fd0", 0);
	push("fd1", 1);
	push("fd2", 2);
	tty = open("/dev/tty", O_RDWR | O_NOCTTY);
	if (tty < 0)
		printf("tty=%s\n", errno == ENXIO ? "ENXIO" : strerror(errno));
	else
		push("tty", tty);
	return 0;
}
