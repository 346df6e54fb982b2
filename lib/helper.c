#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"
#include "interrupt.h"
#include "protocol.h"
#include "util.h"
#include "banned.h"

extern char **environ;

const char *
helper_path(void)
{
	const char *p = getenv("TK_HELPER");

	return p && *p ? p : TK_HELPER_PATH;
}

int
helper_argv(const char **argv)
{
	const char *path = helper_path();
	struct stat st;
	int n = 0;

	/* Not setuid and not root: sudo mode. -C keeps the store fd (fd 3)
	 * and the notify socket (fd 4) open through sudo; sudoers.d/tk allows that for the helper only. */
	if (getuid() != 0 && stat(path, &st) == 0 && !(st.st_mode & S_ISUID)) {
		argv[n++] = "sudo";
		argv[n++] = "-n";
		argv[n++] = "-C";
		argv[n++] = "5";
	}
	argv[n++] = path;
	return n;
}

/* ARGV (the helper's path first) started as a child: its pid, or -1.
 * posix_spawn resets every caught signal's handler in its child, one
 * sigaction per signal (0.3 ms on the test machine); vfork does not,
 * which is safe while no handler can run in the child before its exec:
 * tk-exec, the one caller on a hot path (join), catches none, and a
 * tool that does (lib/interrupt.c: tk-pull, which may idmap) keeps
 * posix_spawn. */
static pid_t
helper_start(const char **argv, struct tk_err *err)
{
	pid_t child;
	int r;

	if (!tk_interrupts_caught()) {
		child = vfork();
		if (child == 0) {
			execvp(argv[0], (char *const *)argv);
			_exit(127);
		}
		if (child < 0)
			return tk_err_errno(err, "cannot run '%s'", argv[0]);
		return child;
	}
	r = posix_spawnp(&child, argv[0], NULL, NULL, (char *const *)argv, environ);
	if (r != 0) {
		errno = r;
		return tk_err_errno(err, "cannot run '%s'", argv[0]);
	}
	return child;
}

int
helper_wait(pid_t child, struct tk_err *err)
{
	int status;

	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return tk_err_errno(err, "cannot wait for tk-helper");
	return WIFEXITED(status) ? WEXITSTATUS(status) : TK_EXIT_FAIL;
}

int
helper_idmap(int pid, struct tk_err *err)
{
	const char *argv[10];
	char pidbuf[24];
	pid_t child;
	int n, r;

	n = helper_argv(argv);
	snprintf(pidbuf, sizeof(pidbuf), "%d", pid);
	argv[n++] = "idmap";
	argv[n++] = pidbuf;
	argv[n] = NULL;
	child = helper_start(argv, err);
	r = child < 0 ? -1 : helper_wait(child, err);
	if (r > 0)
		return tk_err_set(err, "tk-helper could not map the user namespace "
				  "(is %s installed setuid, and are you in group tk?)",
				  helper_path());
	return r;
}

pid_t
helper_join_start(const char *id, int pid, struct tk_err *err)
{
	const char *argv[10];
	char pidbuf[24];
	int n;

	n = helper_argv(argv);
	snprintf(pidbuf, sizeof(pidbuf), "%d", pid);
	argv[n++] = "join";
	argv[n++] = id;
	argv[n++] = pidbuf;
	argv[n] = NULL;
	return helper_start(argv, err);
}
