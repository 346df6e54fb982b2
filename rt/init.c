/*
 * --init: the container's pid 1 stays tk's code (it runs after
 * drop_to_payload, as the payload's ids, with no_new_privs and seccomp,
 * like the payload itself), and the payload is its
 * child. It reaps every zombie the pid namespace leaves it, forwards the
 * signals it gets to the payload (which, not being pid 1, no longer drops
 * those it has no handler for), and ends with the payload's status. It
 * stays non-dumpable, so nothing in the container can ptrace it or reach
 * its memory (SECURITY.md 27).
 */
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "rt.h"

void
init_fork(void)
{
	sigset_t all, none;
	pid_t child;

	sigfillset(&all);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &all, NULL);
	child = fork();
	if (child < 0)
		die_errno(TK_EXIT_FAIL, "cannot start the command under --init");
	if (child == 0) {
		sigprocmask(SIG_SETMASK, &none, NULL);
		return;   /* the caller executes the payload */
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		_exit(TK_EXIT_FAIL);
	/* run --notify: the payload's exec alone may close the caller's
	 * pipe (its EOF means "executed"); init keeps no copy. */
	if (die_notify_fd >= 0) {
		close(die_notify_fd);
		die_notify_fd = -1;
	}
	_exit(forward_until_exit(&all, child));
}
