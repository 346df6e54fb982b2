/*
 * tk-exec: run a command in a running container.
 *
 * The story: resolve the container in the caller's store, refuse one that
 * is not running, work out the environment, user and working directory
 * (the container's, then our flags), then join it with the caller's own
 * credentials, which suffice: the caller owns the container's user
 * namespace. Only its cgroups are root's: `tk-helper join ID PID` moves us
 * into them first, when it has any (limits), so that the command counts
 * against them.
 *
 *  1. Pin pid 1 of the container (a pidfd, checked against the record);
 *     refuse it while it has not pivoted into its root yet (a command
 *     joining its mount namespace then would start in the host's tree).
 *  2. Into its cgroups (the helper), then non-dumpable until the exec:
 *     once we are in the container's user namespace, nothing there may
 *     reach our memory (CVE-2019-5736).
 *  3. Every descriptor closed but the pidfd (and --tty's socket): none of
 *     ours reaches the container (runc CVE-2024-21626). setns(pidfd) into
 *     its user, mount, pid, uts, ipc, net and cgroup namespaces at once.
 *  4. clone a child (a pid namespace applies to children) that shares our
 *     memory until its exec (posix_spawn's way: no page tables copied; we
 *     are stopped meanwhile, CLONE_VFORK). It starts a new session (no
 *     controlling terminal: no TIOCSTI into ours; with --tty, a new pty
 *     from the container's devpts, rt/payload.c), and enters the
 *     payload as tk-run's G does (rt/payload.c): ids, capabilities,
 *     no_new_privs, working directory, seccomp, exec. We forward signals,
 *     wait, and exit with its status; we never enter the pid namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "container.h"
#include "helper.h"
#include "rt.h"
#include "protocol.h"
#include "pty.h"
#include "store.h"
#include "user.h"
#include "sanitize.h"
#include "util.h"
#include "banned.h"

static const char usage_text[] =
	"Usage: tk-exec [OPTIONS] CONTAINER COMMAND [ARG...]\n"
	"Run COMMAND in a running container, with the caller's standard streams.\n"
	"\n"
	"  -t, --tty             give the command a terminal of its own (a new pty)\n"
	"  -i, --interactive     accepted for docker's -it; stdin is always passed on\n"
	"  -e, --env KEY=VALUE   set an environment variable (KEY alone: take it from here)\n"
	"  -w, --workdir DIR     working directory (default: the container's)\n"
	"  -u, --user USER[:GROUP]  user (name or uid) and group (default: the container's)\n"
	"      --root DIR        the store (default: $TK_ROOT, ~/.local/share/tk)\n"
	"      --help            show this help\n"
	"\n"
	"Exit status: the command's own; 125 if tk failed (the container is not\n"
	"running, say), 126 if the command cannot be executed, 127 if it was not found.\n";

#define PIDFD 3

struct exec_ctx {
	const struct tk_container *c;
	const char *id;
	char **argv;
	bool tty, can_setgroups;
};
static struct payload pl;

static _Noreturn void
not_running(const char *id)
{
	die(TK_EXIT_FAIL, "container %.12s is not running", id);
}

/* Whether the container has cgroups of tk's: a line of /proc/PID/cgroup
 * that ends in /<uid>/<id> (the helper checks them again, as root). */
static bool
has_cgroups(pid_t pid, const char *id)
{
	char path[64], tail[96], *line, *save = NULL;
	cleanup_free char *buf = NULL;
	bool found = false;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	snprintf(tail, sizeof(tail), "/%u/%s", (unsigned)getuid(), id);
	buf = read_file_at(AT_FDCWD, path, 1 << 16, NULL, NULL);
	if (!buf)
		not_running(id);
	for (line = strtok_r(buf, "\n", &save); line && !found; line = strtok_r(NULL, "\n", &save))
		found = strlen(line) > strlen(tail) && !strcmp(line + strlen(line) - strlen(tail), tail);
	return found;
}

/* Phase 1's checks on the pinned pid 1: it has pivoted, and its user
 * namespace is ours to join; setgroups allowed there (SECURITY.md 25:
 * not without a subgid range). 0 without a user namespace of its own
 * (root's --userns host), else CLONE_NEWUSER. */
static int
check_container(pid_t pid, struct exec_ctx *x)
{
	char path[64], buf[16] = "";
	struct stat root, its, own;
	uid_t owner;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	if (stat(path, &its) < 0 || stat("/", &root) < 0)
		not_running(x->id);
	if (its.st_dev == root.st_dev && its.st_ino == root.st_ino)
		die(TK_EXIT_FAIL, "container %.12s is still starting: try again", x->id);
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &its) < 0 || stat("/proc/self/ns/user", &own) < 0)
		not_running(x->id);
	x->can_setgroups = true;
	if (its.st_ino == own.st_ino && its.st_dev == own.st_dev)
		return close(fd), 0;
	if (ioctl(fd, NS_GET_OWNER_UID, &owner) < 0 || owner != getuid())
		die(TK_EXIT_FAIL, "container %.12s: its user namespace is not yours", x->id);
	close(fd);
	snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	x->can_setgroups = fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0 && !strncmp(buf, "allow", 5);
	if (fd >= 0)
		close(fd);
	return CLONE_NEWUSER;
}

static char child_stack[256 * 1024] __attribute__((aligned(16)));

static int
child_start(void *arg)
{
	const struct exec_ctx *x = arg;

	tk_san_stack_enter(child_stack, sizeof(child_stack));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ||
	    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die_errno(TK_EXIT_FAIL, "prctl");
	if (setsid() < 0)
		die_errno(TK_EXIT_FAIL, "cannot start a session");
	if (x->tty)
		tty_setup(TK_NOTIFY_FD);
	if (close_range(3, ~0U, 0) < 0)
		die_errno(TK_EXIT_FAIL, "cannot close descriptors");
	payload_enter(&pl, x->can_setgroups);
	exec_payload(x->argv, pl.env);
}

/* Phases 1 to 4; sockfd: --tty's, on TK_NOTIFY_FD (pty_run_fn), or -1. */
static int
enter(void *arg, int sockfd)
{
	struct exec_ctx *x = arg;
	struct tk_err err;
	sigset_t fwd;
	int pidfd, flags, r;
	pid_t pid, child, helper = -1;

	/* Phase 1. */
	if (container_pidfd(x->c, &pidfd, &pid, &err) < 0)
		tk_die_err(TK_EXIT_FAIL, &err);
	if (pid <= 1)
		not_running(x->id);
	flags = check_container(pid, x);
	/* Phase 2: the helper moves us while we go on; we wait for it before
	 * the child is cloned (it starts in our cgroups). */
	if (has_cgroups(pid, x->id) &&
	    (helper = helper_join_start(x->id, (int)getpid(), &err)) < 0)
		tk_die_err(TK_EXIT_FAIL, &err);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die_errno(TK_EXIT_FAIL, "prctl");
	/* Phase 3. */
	if (pidfd != PIDFD && dup3(pidfd, PIDFD, O_CLOEXEC) < 0)
		die_errno(TK_EXIT_FAIL, "cannot move descriptors");
	if (close_range(sockfd >= 0 ? TK_NOTIFY_FD + 1 : PIDFD + 1, ~0U, 0) < 0)
		die_errno(TK_EXIT_FAIL, "cannot close descriptors");
	flags |= CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
		 CLONE_NEWCGROUP;
	tk_san_report_to_stderr();
	if (setns(PIDFD, flags) < 0) {
		if (errno == ESRCH)
			not_running(x->id);
		die_errno(TK_EXIT_FAIL, "cannot join container %.12s", x->id);
	}
	if (helper > 0 && (r = helper_wait(helper, &err)) != 0) {
		if (r < 0)
			tk_die_err(TK_EXIT_FAIL, &err);
		return r;   /* the helper said why */
	}
	/* Phase 4. */
	block_forwarded(&fwd);
	child = clone(child_start, child_stack + sizeof(child_stack),
		      CLONE_VM | CLONE_VFORK | SIGCHLD, x);
	if (child < 0)
		die_errno(TK_EXIT_FAIL, "cannot start a process in container %.12s", x->id);
	tk_san_stack_leave();
	close(PIDFD);
	if (sockfd >= 0)
		close(sockfd);
	return forward_until_exit(&fwd, child);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "env", required_argument, NULL, 'e' },
		{ "tty", no_argument, NULL, 't' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	struct tk_store st = { .fd = -1 };
	static struct tk_container c;
	static struct exec_ctx ex;
	struct tk_err err;
	cleanup_strv char **envflags = NULL;
	const char *root = NULL, *user = NULL, *workdir = NULL;
	char home[256], qbuf[96];
	uint32_t uid, gid;
	bool tty = false;
	int opt;

	tk_prog = rt_prog = "tk-exec";
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+ite:w:u:", opts, NULL)) != -1) {
		switch (opt) {
		case 'e': strv_push(&envflags, optarg); break;
		case 't': tty = true; break;
		case 'i': break;   /* stdin is the caller's already */
		case 'w':
			if (optarg[0] != '/' || strlen(optarg) >= 4096)
				tk_die(125, "bad --workdir '%s': must be an absolute path",
				       tk_quote(optarg, qbuf, sizeof(qbuf)));
			workdir = optarg;
			break;
		case 'u': user = optarg; break;
		case 'r': root = optarg; break;
		case 'H': return tk_print_help(usage_text);
		default: tk_usage_error("bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		tk_usage_error("no container given");
	if (optind + 1 >= argc)
		tk_usage_error("no command given");
	if (store_open(&st, root, false, &err) < 0 ||
	    container_resolve(&st, argv[optind], &c, &err) < 0)
		tk_die_err(125, &err);
	if (c.state != TK_RUNNING)
		tk_die(125, "container '%s' is not running (tk-start it first)",
		       tk_quote(argv[optind], qbuf, sizeof(qbuf)));

	uid = c.uid;
	gid = c.gid;
	if (user && user_resolve(&st, c.layers, user, &uid, &gid, home, &err) < 0)
		tk_die_err(125, &err);
	if (env_add_flags(&c.env, envflags, &err) < 0)
		tk_die_err(125, &err);

	ex.id = c.id;
	ex.tty = tty;
	ex.argv = argv + optind + 1;
	pl.have_user = true;
	pl.uid = uid;
	pl.gid = gid;
	pl.unconfined = c.unconfined;
	pl.workdir = workdir ? workdir : c.workdir && c.workdir[0] == '/' ? c.workdir : "/";
	for (size_t i = 0; c.env && c.env[i]; i++) {
		if (pl.nenv >= MAX_ENV)
			tk_die(125, "too many environment variables (at most %d)", MAX_ENV);
		pl.env[pl.nenv++] = c.env[i];
	}
	ex.c = &c;
	if (getuid() == 0) {   /* root is the caller, whoever it came from */
		unsetenv("SUDO_UID");
		unsetenv("SUDO_GID");
	}
	if (tty) {
		int r = pty_run_fn(enter, &ex, &err);
		if (r < 0)
			tk_die_err(125, &err);
		return r;
	}
	return enter(&ex, -1);
}
