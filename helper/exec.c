/*
 * The exec verb: run a command in a running container of the caller's.
 *
 *  1. root: parse and validate argv; read the root-owned record
 *     /run/tk/<caller uid>/<id> (the directory is the caller's, so a
 *     record there names the caller's container; "not running", "not
 *     yours" and "no such container" are one message, SECURITY.md 14);
 *     pin the recorded pid with a pidfd and check its start time again
 *     once pinned, so a reused pid never passes; check that its user
 *     namespace is owned by the caller. Then join the container's
 *     cgroups (cgroup.c), while still root.
 *  2. Drop every privilege for good. From here the kernel decides with
 *     the caller's own credentials whether we may join: the caller owns
 *     the container's user namespace, so it may; it could not join
 *     anyone else's whatever a record said.
 *  3. Close every descriptor but the pidfd and stdio (SECURITY.md 27, runc
 *     CVE-2024-21626), then setns(pidfd) into the user, mount, pid, uts,
 *     ipc, net and cgroup namespaces in one call.
 *  4. clone a child (a pid namespace applies to children), sharing our
 *     memory until its exec (see child_start). The child starts a new
 *     session (no controlling terminal: no TIOCSTI into the caller's;
 *     with --tty, a new pty from the container's devpts, see run.c),
 *     changes to the working directory and checks it with getcwd, drops
 *     to the payload's ids and capabilities as run does, seccomp, exec.
 *     The parent forwards signals, waits, and exits with the status.
 *
 * Both stay non-dumpable until the exec, so nothing in the container can
 * reach their memory, descriptors or /proc/<pid>/exe (CVE-2019-5736); the
 * parent never enters the container's pid namespace at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helper.h"
#include "sanitize.h"

#define PIDFD 3

struct exec_opts {
	bool tty;
	const char *id;
	struct payload p;
	char **argv;
	bool can_setgroups;   /* found in phase 1, for the child */
};

static _Noreturn void
usage(const char *what)
{
	die(2, "exec: %s", what);
}

static void
parse_args(int argc, char **argv, struct exec_opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (flag_opt(a, "--tty", &o->tty, usage))
			continue;
		if (!v)
			usage("missing value or container id");
		if (payload_opt(a, v, &o->p, usage)) {
			i++;
			continue;
		}
		if (a[0] == '-')
			usage("unknown option");
		if (o->id || !tk_valid_id(a))
			usage(o->id ? "one container id" : "bad container id");
		o->id = a;
	}
	if (!o->id || i >= argc)
		usage("usage: exec [options] ID -- ARGV...");
	o->argv = argv + i;
}

static _Noreturn void
not_running(const char *id)
{
	die(TK_EXIT_FAIL, "container %s is not running", id);
}

/* The record's pid, pinned: a pidfd of the process whose start time is
 * the recorded one, checked after the pidfd was taken. */
static int
pin_container(const char *id, pid_t *pidp)
{
	char buf[64];
	unsigned long long want;
	int dir = open_record_dir(), pidfd, pid;
	ssize_t n = read_small(dir, id, buf, sizeof(buf));
	bool zombie = true;
	struct stat root, its;

	close(dir);
	if (n <= 0 || sscanf(buf, "%d %llu", &pid, &want) != 2 || pid <= 1)
		not_running(id);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	/* Not a zombie either: its namespaces would be gone. */
	if (pidfd < 0 || proc_starttime(pid, &zombie) != want || zombie)
		not_running(id);
	/* Not before it has pivoted into its root: a command joining its
	 * mount namespace earlier would start in the host's tree. */
	snprintf(buf, sizeof(buf), "/proc/%d/root", pid);
	if (stat(buf, &its) < 0 || stat("/", &root) < 0)
		not_running(id);
	if (its.st_dev == root.st_dev && its.st_ino == root.st_ino)
		die(TK_EXIT_FAIL, "container %s is still starting: try again", id);
	*pidp = pid;
	return pidfd;
}

/* Whether the container has a user namespace of its own (not so only for
 * root's --userns host), checked to be owned by the caller; and whether
 * setgroups is allowed in it (SECURITY.md 25: not without a subgid range). */
static bool
container_userns(pid_t pid, bool *can_setgroups)
{
	char path[64], buf[16];
	struct stat own, its;
	int fd;
	uid_t owner;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &its) < 0 || stat("/proc/self/ns/user", &own) < 0)
		die_errno(TK_EXIT_FAIL, "cannot read the container's user namespace");
	*can_setgroups = true;
	if (its.st_ino == own.st_ino && its.st_dev == own.st_dev) {
		close(fd);
		if (!caller.root)
			die_denied("exec: container without a user namespace of its own");
		return false;
	}
	if (ioctl(fd, NS_GET_OWNER_UID, &owner) < 0 || owner != caller.uid)
		die_denied("exec: user namespace of pid %d not owned by the caller", (int)pid);
	close(fd);
	snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
	*can_setgroups = read_small(AT_FDCWD, path, buf, sizeof(buf)) > 0 &&
			 !strncmp(buf, "allow", 5);
	return true;
}

/*
 * The child shares our memory until it executes the command or dies (as
 * posix_spawn's child does): no page tables copied, no copy-on-write
 * faults, a fifth of the exec verb's CPU. Safe because we are stopped
 * meanwhile (CLONE_VFORK) with every signal blocked, hold no privilege
 * (dropped for good in phase 2), and the memory is non-dumpable (set in
 * phase 2, and by the child again): nothing in the container can read or
 * write it. The child runs on a stack of its own, changes only its own
 * credentials, descriptors (no CLONE_FILES) and session, and leaves by
 * execve or _exit (die()), never by returning.
 */
static char child_stack[256 * 1024] __attribute__((aligned(16)));

static int
child_start(void *arg)
{
	const struct exec_opts *o = arg;

	tk_san_stack_enter(child_stack, sizeof(child_stack));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ||
	    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die_errno(TK_EXIT_FAIL, "exec: prctl");
	if (setsid() < 0)
		die_errno(TK_EXIT_FAIL, "cannot start a session");
	if (o->tty)
		tty_setup(TK_NOTIFY_FD);
	if (close_range(3, ~0U, 0) < 0)
		die_errno(TK_EXIT_FAIL, "cannot close descriptors");
	payload_enter(&o->p, o->can_setgroups);
	exec_payload(o->argv, (char **)o->p.env);
}

int
verb_exec(int argc, char **argv)
{
	static struct exec_opts o;
	int pidfd;
	bool userns;
	unsigned long flags;
	sigset_t fwd;
	pid_t pid, child;

	parse_args(argc, argv, &o);
	if (!o.p.have_user)
		o.p.uid = o.p.gid = 0;
	check_notify_fd(o.tty);

	/* Phase 1. */
	pidfd = pin_container(o.id, &pid);
	userns = container_userns(pid, &o.can_setgroups);
	if (check_only)
		check_allowed("exec in container %s (pid %d) as %u:%u", o.id, (int)pid,
			      o.p.uid, o.p.gid);
	/* Into the container's cgroups, as root, with the pid pinned: the
	 * command counts against its limits. */
	cgroup_join(o.id, pid);

	/* Phase 2. */
	drop_privileges_for_good();

	/* Phase 3. */
	if (pidfd != PIDFD && dup3(pidfd, PIDFD, O_CLOEXEC) < 0)
		die_errno(TK_EXIT_FAIL, "exec: cannot move descriptors");
	/* The pidfd, and for --tty the caller's socket (fd 4): only the
	 * child uses it, to send the master of the pty it makes. */
	if (close_range(o.tty ? TK_NOTIFY_FD + 1 : PIDFD + 1, ~0U, 0) < 0)
		die_errno(TK_EXIT_FAIL, "exec: cannot close descriptors");
	flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
		CLONE_NEWCGROUP | (userns ? CLONE_NEWUSER : 0);
	tk_san_report_to_stderr();
	if (setns(PIDFD, (int)flags) < 0) {
		if (errno == ESRCH)
			not_running(o.id);
		die_errno(TK_EXIT_FAIL, "cannot join container %s", o.id);
	}

	/* Phase 4. */
	block_forwarded(&fwd);
	child = clone(child_start, child_stack + sizeof(child_stack),
		      CLONE_VM | CLONE_VFORK | SIGCHLD, &o);
	if (child < 0)
		die_errno(TK_EXIT_FAIL, "cannot start a process in container %s", o.id);
	tk_san_stack_leave();
	close(PIDFD);
	if (o.tty)
		close(TK_NOTIFY_FD);
	return forward_until_exit(&fwd, child);
}
