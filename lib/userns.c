#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"
#include "userns.h"
#include "util.h"
#include "banned.h"

static ssize_t
read_full(int fd, void *buf, size_t len)
{
	size_t n = 0;

	while (n < len) {
		ssize_t r = read(fd, (char *)buf + n, len - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += r;
	}
	return n;
}

static void
write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t r = write(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		p += r;
		len -= r;
	}
}

/* The child: never returns. Its result travels as a struct tk_err through
 * errfd; the exit status says success. */
static _Noreturn void
child_main(int readyfd, int gofd, int errfd, int (*fn)(void *, struct tk_err *), void *arg)
{
	struct tk_err cerr = { 0 };
	char c = 0;
	int r;

	/* A killed tk-pull must not leave an unpacker running. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (unshare(CLONE_NEWUSER) < 0) {
		tk_err_errno(&cerr, "cannot create a user namespace");
		write_full(errfd, &cerr, sizeof(cerr));
		_exit(1);
	}
	write_full(readyfd, "r", 1);
	close(readyfd);
	if (read_full(gofd, &c, 1) != 1 || c != 'g')
		_exit(1);
	close(gofd);
	/* Become root of the new namespace: the caller outside. setgroups is
	 * denied when no subgid range was mapped; that is fine. */
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
		tk_err_errno(&cerr, "cannot become root in the user namespace");
		write_full(errfd, &cerr, sizeof(cerr));
		_exit(1);
	}
	if (setgroups(0, NULL) < 0 && errno != EPERM) {
		tk_err_errno(&cerr, "cannot drop supplementary groups");
		write_full(errfd, &cerr, sizeof(cerr));
		_exit(1);
	}
	r = fn(arg, &cerr);
	fflush(stderr);
	if (r < 0)
		write_full(errfd, &cerr, sizeof(cerr));
	_exit(r < 0 ? 1 : 0);
}

int
userns_run(int (*fn)(void *arg, struct tk_err *err), void *arg, struct tk_err *err)
{
	int ready[2] = { -1, -1 }, go[2] = { -1, -1 }, ep[2] = { -1, -1 };
	struct tk_err cerr = { 0 };
	const char *hp = helper_path();
	int status, ret = -1;
	ssize_t n;
	char c;
	pid_t pid;

	if (access(hp, X_OK) < 0)
		return tk_err_errno(err, "cannot use tk-helper '%s' (install tk, or set TK_HELPER)",
				    hp);
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		tk_err_errno(err, "cannot create a pipe");
		goto out;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		tk_err_errno(err, "cannot fork");
		goto out;
	}
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		close(ep[0]);
		child_main(ready[1], go[0], ep[1], fn, arg);
	}
	close(ready[1]);
	close(go[0]);
	close(ep[1]);
	ready[1] = go[0] = ep[1] = -1;

	if (read_full(ready[0], &c, 1) == 1) {
		if (helper_idmap(pid, err) == 0) {
			write_full(go[1], "g", 1);
			ret = 0;
		}
	}
	close(go[1]);
	go[1] = -1;
	n = read_full(ep[0], &cerr, sizeof(cerr));
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			tk_err_errno(err, "cannot wait for the user namespace child");
			ret = -1;
			goto out;
		}
	}
	if (ret < 0 && n != (ssize_t)sizeof(cerr))
		goto out; /* the idmap error is already in err */
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		ret = 0;
	} else if (n == (ssize_t)sizeof(cerr)) {
		cerr.msg[sizeof(cerr.msg) - 1] = 0;
		*err = cerr;
		ret = -1;
	} else if (WIFSIGNALED(status)) {
		ret = tk_err_set(err, "user namespace child killed by signal %d", WTERMSIG(status));
	} else {
		ret = tk_err_set(err, "user namespace child failed");
	}
out:
	for (int i = 0; i < 2; i++) {
		if (ready[i] >= 0)
			close(ready[i]);
		if (go[i] >= 0)
			close(go[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	return ret;
}

struct rm_arg {
	int dirfd;
	const char *name;
};

static int
rm_fn(void *p, struct tk_err *err)
{
	struct rm_arg *a = p;

	return rm_tree_at(a->dirfd, a->name, err);
}

int
userns_rm_tree(int dirfd, const char *name, struct tk_err *err)
{
	struct rm_arg a = { dirfd, name };

	/* Real root removes anything; no namespace needed. */
	if (getuid() == 0)
		return rm_tree_at(dirfd, name, err);
	return userns_run(rm_fn, &a, err);
}
