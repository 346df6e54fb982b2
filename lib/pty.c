#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "protocol.h"
#include "pty.h"
#include "rt.h"
#include "util.h"
#include "banned.h"

static struct termios saved;
static bool raw;

static void
restore_terminal(void)
{
	if (raw)
		tcsetattr(0, TCSADRAIN, &saved);
	raw = false;
}

static void
make_raw(void)
{
	struct termios t;

	if (!isatty(0) || tcgetattr(0, &saved) < 0)
		return;
	t = saved;
	cfmakeraw(&t);
	if (tcsetattr(0, TCSADRAIN, &t) == 0) {
		raw = true;
		atexit(restore_terminal);
	}
}

static void
copy_winsize(int master)
{
	struct winsize ws;

	if (ioctl(0, TIOCGWINSZ, &ws) == 0 || ioctl(1, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

/* The child: the run ARGV (rt_run), or FN called, with the socket on fd 4. */
static _Noreturn void
start_child(int storefd, int sockfd, const char *const *argv, int (*fn)(void *, int), void *arg)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (null < 0 || (sockfd = fcntl(sockfd, F_DUPFD_CLOEXEC, 10)) < 0 ||
	    (storefd >= 0 && (storefd = fcntl(storefd, F_DUPFD_CLOEXEC, 10)) < 0))
		_exit(TK_EXIT_FAIL);
	/* stdin and stdout: not our terminal; stderr stays ours for the
	 * runner's messages until the pty replaces it in the container. */
	if (dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    (storefd >= 0 ? dup2(storefd, TK_STORE_FD) < 0 : close(TK_STORE_FD) < 0 && errno != EBADF) ||
	    dup2(sockfd, TK_NOTIFY_FD) < 0 || close_range(TK_NOTIFY_FD + 1, ~0U, 0) < 0)
		_exit(TK_EXIT_FAIL);
	if (fn)
		_exit(fn(arg, TK_NOTIFY_FD));
	rt_prog = tk_prog;
	_exit(rt_run(strv_len((char **)argv), (char **)argv));
}

/* The master from G (rt/run.c, --tty): one byte TK_NOTIFY_TTY and one descriptor,
 * which must be a pty master (5:2), whatever sent it. */
static int
receive_master(int sock)
{
	char b = 0, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &b, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	struct stat st;
	unsigned ptn;
	int fd = -1;
	ssize_t n;

	while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	cm = n == 1 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (fd < 0)
		return -1;
	if (b != TK_NOTIFY_TTY || (msg.msg_flags & MSG_CTRUNC) || fstat(fd, &st) < 0 ||
	    !S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2 ||
	    ioctl(fd, TIOCGPTN, &ptn) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd pf = { fd, POLLOUT, 0 };
			poll(&pf, 1, -1);
			continue;
		}
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return TK_EXIT_FAIL;
	return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st)
								  : TK_EXIT_FAIL;
}

static int
run_proxied(int storefd, const char *const *argv, int (*fn)(void *, int), void *arg,
	    struct tk_err *err)
{
	sigset_t sigs, old;
	int sv[2], master, sfd, status = TK_EXIT_FAIL;
	bool in_open = true, child_done = false;
	char buf[16384];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return tk_err_errno(err, "cannot create a socket");
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGCHLD);
	sigaddset(&sigs, SIGWINCH);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGQUIT);
	sigprocmask(SIG_BLOCK, &sigs, &old);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0) {
		close(sv[0]);
		close(sv[1]);
		return tk_err_errno(err, "cannot watch signals");
	}
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return tk_err_errno(err, "cannot start the container");
	}
	if (pid == 0)
		start_child(storefd, sv[1], argv, fn, arg);
	close(sv[1]);
	master = receive_master(sv[0]);
	close(sv[0]);
	if (master < 0) {
		/* The start failed before the pty: its message is on stderr. */
		status = wait_status(pid);
		return status ? status : TK_EXIT_FAIL;
	}
	copy_winsize(master);
	make_raw();
	while (!child_done || master >= 0) {
		struct pollfd p[3] = { { sfd, POLLIN, 0 }, { master, POLLIN, 0 },
				       { in_open ? 0 : -1, POLLIN, 0 } };
		if (poll(p, 3, child_done ? 100 : -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGWINCH && master >= 0)
					copy_winsize(master);
				else if (si.ssi_signo == SIGCHLD) {
					int st;
					if (waitpid(pid, &st, WNOHANG) == pid) {
						child_done = true;
						status = WIFEXITED(st) ? WEXITSTATUS(st)
						       : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : TK_EXIT_FAIL;
						/* Drain what is left, without blocking. */
						if (master >= 0)
							fcntl(master, F_SETFL, O_NONBLOCK);
					}
				} else if (si.ssi_signo == SIGHUP && master >= 0) {
					/* Our terminal hung up: hang up the
					 * container's, as a terminal would. */
					close(master);
					master = -1;
					in_open = false;
				} else if (si.ssi_signo != SIGWINCH) {
					kill(pid, (int)si.ssi_signo);
				}
			}
		}
		if (master >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t n = read(master, buf, sizeof(buf));
			if (n > 0)
				write_all(1, buf, (size_t)n);
			else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
				close(master);   /* EIO: every slave is closed */
				master = -1;
			}
		} else if (master >= 0 && child_done && p[1].revents == 0) {
			close(master);   /* nothing more came */
			master = -1;
		}
		if (in_open && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t n = read(0, buf, sizeof(buf));
			if (n > 0 && master >= 0) {
				write_all(master, buf, (size_t)n);
			} else if (n < 0 && errno != EINTR && errno != EAGAIN) {
				/* Our terminal is gone (EIO): hang up the container's. */
				in_open = false;
				if (master >= 0 && raw) {
					close(master);
					master = -1;
				}
			} else if (n == 0) {
				in_open = false;   /* not a terminal, at its end */
			}
		}
	}
	restore_terminal();
	close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return status;
}

int
pty_run(int storefd, const char *const *argv, struct tk_err *err)
{
	return run_proxied(storefd, argv, NULL, NULL, err);
}

int
pty_run_fn(int (*fn)(void *arg, int sockfd), void *arg, struct tk_err *err)
{
	return run_proxied(-1, NULL, fn, arg, err);
}
