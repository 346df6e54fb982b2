/*
 * floor: the least work a container start can do, to measure tk against.
 *
 *	floor ROOTFS [TMPDIR]
 *
 * Run as root. Makes a scratch directory in TMPDIR (default $TMPDIR, else
 * /tmp), clones a child into new mount, pid, uts, ipc, net and cgroup
 * namespaces, and in the child: makes every mount private, mounts an overlay
 * (lower = ROOTFS, upper and work in the scratch directory), mounts a fresh
 * /proc, pivot_roots into the overlay, detaches the old root and execs
 * /bin/true. The parent waits, removes the scratch directory and exits with
 * the child's status.
 *
 * No user namespace (root needs none), no /dev, no cgroup, no seccomp, no
 * capability dropping, no image store, no records: whatever tk, bwrap or runc
 * spend above this number is the price of what they do on top. It is a
 * benchmark baseline, not a container runtime: it trusts its arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NSFLAGS                                                              \
	(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |          \
	 CLONE_NEWNET | CLONE_NEWCGROUP)

static const char *rootfs;
static char scratch[4096];

static void
die(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	_exit(125);
}

static void
path(char *buf, size_t n, const char *dir, const char *name)
{
	if ((size_t)snprintf(buf, n, "%s/%s", dir, name) >= n) {
		errno = ENAMETOOLONG;
		die(name);
	}
}

static int
child(void *arg)
{
	char upper[4200], work[4200], merged[4200], opts[13000];
	char *const argv[] = { "/bin/true", NULL };

	(void)arg;
	path(upper, sizeof upper, scratch, "upper");
	path(work, sizeof work, scratch, "work");
	path(merged, sizeof merged, scratch, "merged");
	if ((size_t)snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s",
			     rootfs, upper, work) >= sizeof opts) {
		errno = ENAMETOOLONG;
		die("overlay options");
	}
	/* Keep our mounts out of the host's mount namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("make / private");
	if (mount("overlay", merged, "overlay", 0, opts) < 0)
		die("mount overlay");
	if (chdir(merged) < 0)
		die("chdir merged");
	if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die("mount proc");
	/* pivot_root(".", "."): the old root lands on top of the new one. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die("pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		die("detach old root");
	if (chdir("/") < 0)
		die("chdir /");
	execv(argv[0], argv);
	die("exec /bin/true");
	return 125;
}

static int
rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	if (remove(p) < 0)
		fprintf(stderr, "floor: cannot remove '%s': %s\n", p, strerror(errno));
	return 0;
}

int
main(int argc, char **argv)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	const char *tmp;
	char sub[4200];
	const char *const subs[] = { "upper", "work", "merged" };
	pid_t pid;
	int status;
	size_t i;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: floor ROOTFS [TMPDIR]\n");
		return 2;
	}
	rootfs = argv[1];
	tmp = argc > 2 ? argv[2] : getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = "/tmp";
	if ((size_t)snprintf(scratch, sizeof scratch, "%s/floor.XXXXXX", tmp) >= sizeof scratch) {
		errno = ENAMETOOLONG;
		die("scratch path");
	}
	if (!mkdtemp(scratch))
		die("mkdtemp");
	for (i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		path(sub, sizeof sub, scratch, subs[i]);
		if (mkdir(sub, 0755) < 0)
			die("mkdir");
	}

	pid = clone(child, stack + sizeof stack, NSFLAGS | SIGCHLD, NULL);
	if (pid < 0)
		die("clone");
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");

	/* The overlay died with the child's mount namespace; only files remain. */
	nftw(scratch, rm_one, 16, FTW_DEPTH | FTW_PHYS);

	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
