/*
 * The payload's entry, shared by run's G (rt/run.c) and
 * tk-exec (bin/tk-exec.c): see payload.h. It runs with no privilege
 * outside the container's user namespace, and in tk-exec with none at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "payload.h"
#include "seccomp-bpf.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Podman's default capability set; the payload never gets more. */
static const int default_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_SETGID,
	CAP_SETUID, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_SETFCAP,
};


/*
 * --tty, in G (root of its user namespace, inside the new root, in its
 * new session, before any payload code): a new pty from the container's
 * own devpts instance (mounted by mount.c; /dev is our tmpfs, nothing
 * from the image), its master sent to the caller over TK_NOTIFY_FD with
 * SCM_RIGHTS, the slave made the controlling terminal and stdio. The
 * caller's terminal never reaches the container: 0-2 are replaced here,
 * and the caller proxies bytes through the master only (SECURITY.md 27,
 * TIOCSTI).
 */
void
tty_setup(int sockfd)
{
	int master, slave, zero = 0;
	char b = TK_NOTIFY_TTY, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &b, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;

	/* O_NONBLOCK: for exec, /dev is the container's, and a FIFO there
	 * must not hang us; only a pty master passes the ioctls. */
	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (master < 0 || ioctl(master, TIOCSPTLCK, &zero) < 0 ||
	    fcntl(master, F_SETFL, O_RDWR) < 0)
		die_errno(TK_EXIT_FAIL, "cannot open a pty");
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		die_errno(TK_EXIT_FAIL, "cannot open the pty");
	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &master, sizeof(int));
	if (sendmsg(sockfd, &msg, MSG_NOSIGNAL) != 1)
		die_errno(TK_EXIT_FAIL, "cannot pass the pty");
	close(master);
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		die_errno(TK_EXIT_FAIL, "cannot set the controlling terminal");
	for (int fd = 0; fd <= 2; fd++)
		if (dup2(slave, fd) < 0)
			die_errno(TK_EXIT_FAIL, "cannot set up the terminal");
	close(slave);
}


static bool
is_default_cap(int cap)
{
	for (size_t i = 0; i < sizeof(default_caps) / sizeof(default_caps[0]); i++)
		if (default_caps[i] == cap)
			return true;
	return false;
}


/*
 * SECURITY.md 26, in order: bounding set and ambient caps, groups, gid,
 * uid, capabilities, no_new_privs; then verify.
 */
static void
drop_to_payload(uint32_t uid, uint32_t gid, bool can_setgroups)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	uid_t r, e, s;
	uint64_t want = 0;

	for (int cap = 0; cap <= 63; cap++) {
		if (is_default_cap(cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break;   /* past the kernel's last capability */
			die_errno(TK_EXIT_FAIL, "cannot drop capability %d", cap);
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		die_errno(TK_EXIT_FAIL, "cannot clear ambient capabilities");
	if (can_setgroups && setgroups(0, NULL) < 0)
		die_errno(TK_EXIT_FAIL, "cannot set groups");
	if (setresgid(gid, gid, gid) < 0)
		die_errno(TK_EXIT_FAIL, "cannot set gid %u", gid);
	if (setresuid(uid, uid, uid) < 0)
		die_errno(TK_EXIT_FAIL, "cannot set uid %u", uid);
	if (uid == 0)
		for (size_t i = 0; i < sizeof(default_caps) / sizeof(default_caps[0]); i++)
			want |= 1ULL << default_caps[i];
	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = (uint32_t)want;
	data[1].effective = data[1].permitted = (uint32_t)(want >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0)
		die_errno(TK_EXIT_FAIL, "cannot set capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die_errno(TK_EXIT_FAIL, "cannot set no_new_privs");
	if (getresuid(&r, &e, &s) < 0 || r != uid || e != uid || s != uid)
		die(TK_EXIT_FAIL, "uid drop did not hold");
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0 ||
	    (((uint64_t)data[1].permitted << 32) | data[0].permitted) != want)
		die(TK_EXIT_FAIL, "capability drop did not hold");
}

static const char *
env_get(char **env, const char *key)
{
	size_t n = strlen(key);

	for (int i = 0; env[i]; i++)
		if (!strncmp(env[i], key, n) && env[i][n] == '=')
			return env[i] + n + 1;
	return NULL;
}

_Noreturn void
exec_payload(char **argv, char **env)
{
	const char *path, *p;
	char buf[4096];
	int err = ENOENT;

	if (strchr(argv[0], '/')) {
		execve(argv[0], argv, env);
		err = errno;
	} else {
		path = env_get(env, "PATH");
		for (p = path ? path : DEFAULT_PATH; ; p++) {
			const char *end = strchrnul(p, ':');
			int n = snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(end - p), p,
					 end == p ? "" : "/", argv[0]);
			if (n > 0 && (size_t)n < sizeof(buf)) {
				execve(buf, argv, env);
				if (errno == EACCES)
					err = EACCES;
				else if (errno != ENOENT && errno != ENOTDIR) {
					err = errno;
					break;
				}
			}
			if (!*end)
				break;
			p = end;
		}
	}
	if (err == ENOENT)
		die(TK_EXIT_NOTFOUND, "cannot run '%s': %s", argv[0],
		    strchr(argv[0], '/') ? "no such file or directory"
					 : "executable file not found in $PATH");
	errno = err;
	die_errno(TK_EXIT_NOEXEC, "cannot run '%s'", argv[0]);
}


void
payload_enter(const struct payload *p, bool can_setgroups)
{
	const char *dir = p->workdir ? p->workdir : "/";
	char cwd[4096];
	sigset_t none;

	drop_to_payload(p->uid, p->gid, can_setgroups);
	/* A change of effective uid clears the parent-death signal: set it
	 * again, so the payload dies with its runner. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die_errno(TK_EXIT_FAIL, "cannot set parent death signal");
	if (chdir(dir) < 0)
		die_errno(TK_EXIT_FAIL, "cannot change to working directory '%s'", dir);
	if (!getcwd(cwd, sizeof(cwd)) || cwd[0] != '/')
		die(TK_EXIT_FAIL, "working directory is outside the container");
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (!p->unconfined)
		seccomp_install();
}


int
status_of(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return TK_EXIT_FAIL;
}


void
block_forwarded(sigset_t *fwd)
{
	sigemptyset(fwd);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP && s != SIGTSTP && s != SIGTTIN && s != SIGTTOU)
			sigaddset(fwd, s);
	sigprocmask(SIG_BLOCK, fwd, NULL);
}

int
forward_until_exit(const sigset_t *fwd, pid_t child)
{
	int st;

	for (;;) {
		int s = sigwaitinfo(fwd, NULL);
		if (s < 0)
			continue;
		if (s != SIGCHLD) {
			kill(child, s);
			continue;
		}
		for (pid_t w; (w = waitpid(-1, &st, WNOHANG)) > 0;)
			if (w == child)
				return status_of(st);
	}
}


/* The container's default seccomp filter (SECURITY.md 26: seccomp last),
 * compiled at build time, unprivileged, by tools/mkseccomp.c with
 * libseccomp: installing it after no_new_privs needs no privilege. */
void
seccomp_install(void)
{
	struct sock_fprog prog = {
		.len = TK_SECCOMP_LEN,
		.filter = (struct sock_filter *)tk_seccomp_filter,
	};

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		die_errno(TK_EXIT_FAIL, "cannot install the seccomp filter "
			  "(--security-opt seccomp=unconfined runs without one)");
}
