/* sigpipe-test: lib's write_nosigpipe on a pipe whose reader is gone, as
 * tk-pull writes to an unpacker that died. Prints one line per case;
 * SIGPIPE left at its default, so a leak of it kills this program. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static int
pending(void)
{
	sigset_t s;

	sigpending(&s);
	return sigismember(&s, SIGPIPE);
}

int
main(void)
{
	int p[2];
	sigset_t pipe_set;
	ssize_t r;

	signal(SIGPIPE, SIG_DFL);
	/* A reader: the write goes through. */
	if (pipe(p) < 0)
		return 1;
	r = write_nosigpipe(p[1], "+", 1);
	printf("open: %zd\n", r);
	/* The reader gone: EPIPE, and we live, nothing left pending. */
	close(p[0]);
	r = write_nosigpipe(p[1], "+", 1);
	printf("closed: %zd %s, pending %d\n", r, r < 0 ? strerrorname_np(errno) : "-",
	       pending());
	/* A SIGPIPE the caller had blocked and pending stays pending. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, NULL);
	raise(SIGPIPE);
	r = write_nosigpipe(p[1], "+", 1);
	printf("caller's: %zd %s, pending %d\n", r, r < 0 ? strerrorname_np(errno) : "-",
	       pending());
	return 0;
}
