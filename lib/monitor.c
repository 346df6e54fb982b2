#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "logs.h"
#include "monitor.h"
#include "protocol.h"
#include "util.h"
#include "banned.h"

#define MONITOR_CTDIR_FD 5

const char *
monitor_path(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("TK_MONITOR");
	char self[PATH_MAX - 16], *slash;
	ssize_t n;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		if ((slash = strrchr(self, '/'))) {
			*slash = 0;
			snprintf(path, sizeof(path), "%s/tk-monitor", self);
			if (access(path, X_OK) == 0)
				return path;
		}
	}
	return TK_LIBEXECDIR "/tk-monitor";
}

/* In the child: fds 3 (store), 4 (the helper's end of the notify socket)
 * and 5 (the container directory), nothing else; stdio on /dev/null. */
static _Noreturn void
exec_monitor(int storefd, int notifyfd, int ctdirfd, const char *const *argv)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0 || setsid() < 0)
		_exit(125);
	/* Out of the way of 3-5 first, then into place. */
	if ((storefd = fcntl(storefd, F_DUPFD_CLOEXEC, 10)) < 0 ||
	    (notifyfd = fcntl(notifyfd, F_DUPFD_CLOEXEC, 10)) < 0 ||
	    (ctdirfd = fcntl(ctdirfd, F_DUPFD_CLOEXEC, 10)) < 0)
		_exit(125);
	if (dup2(storefd, TK_STORE_FD) < 0 || dup2(notifyfd, TK_NOTIFY_FD) < 0 ||
	    dup2(ctdirfd, MONITOR_CTDIR_FD) < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    dup2(null, 2) < 0)
		_exit(125);
	if (close_range(MONITOR_CTDIR_FD + 1, ~0U, 0) < 0)
		_exit(125);
	execv(argv[0], (char *const *)argv);
	_exit(125);
}

int
monitor_start(struct tk_store *st, const char *id, const char *const *hargv,
	      long long log_size, struct tk_err *err)
{
	cleanup_close int ctdirfd = -1;
	cleanup_free char *dir = xasprintf("containers/%s", id);
	char sizebuf[32], b = 0;
	const char **argv;
	int sv[2], status, n = 0;
	size_t nh = 0;
	pid_t pid;
	ssize_t r;

	ctdirfd = openat(st->fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ctdirfd < 0)
		return tk_err_errno(err, "cannot open container '%.12s'", id);
	while (hargv[nh])
		nh++;
	argv = xcalloc(nh + 6, sizeof(*argv));
	argv[n++] = monitor_path();
	if (log_size > 0) {
		snprintf(sizebuf, sizeof(sizebuf), "%lld", log_size);
		argv[n++] = "--log-size";
		argv[n++] = sizebuf;
	}
	argv[n++] = "--";
	for (size_t i = 0; i < nh; i++)
		argv[n++] = hargv[i];
	if (access(argv[0], X_OK) < 0) {
		tk_err_errno(err, "cannot run %s", argv[0]);
		free(argv);
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		free(argv);
		return tk_err_errno(err, "cannot create a socket");
	}
	pid = fork();
	if (pid < 0) {
		free(argv);
		close(sv[0]);
		close(sv[1]);
		return tk_err_errno(err, "cannot start the monitor");
	}
	if (pid == 0)
		exec_monitor(st->fd, sv[1], ctdirfd, argv);
	free(argv);
	close(sv[1]);
	/* One byte: READY once the payload is executed; anything else is a
	 * failure (protocol.h). */
	while ((r = read(sv[0], &b, 1)) < 0 && errno == EINTR)
		;
	close(sv[0]);
	if (r == 1 && b == TK_NOTIFY_READY) {
		/* Running: the monitor goes on alone (init reaps it). The
		 * started file tells a container that ran from one that never
		 * did, once the helper's record is gone (a reboot). */
		write_file_sync_at(ctdirfd, TK_CT_STARTED, "", 0, 0644, false, NULL);
		return 0;
	}
	/* The helper ended before the container ran: its messages are in
	 * the log; the monitor exits with its status. */
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return tk_err_errno(err, "cannot wait for the monitor");
	{
		struct logs_opts lo = { .tail = -1, .stderr_only = true };
		logs_print(ctdirfd, &lo, NULL);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return TK_EXIT_FAIL;
}
