/*
 * run: start container ID of the caller's store, in the caller's own
 * process (tk-run, tk-start, tk-monitor's child, tk-run -t's child).
 *
 *  1. Open containers/ID beneath the store and lock it for the whole run
 *     (tk-rm waits on the lock, a second run is refused), and each layer,
 *     for a clear error before anything is made.
 *  2. Start `tk-helper start [LIMIT VALUE]... -` (rt_spawn_helper; tk-run
 *     does it earlier, before it makes the container, so that the helper's
 *     start-up overlaps that work), then clone G into new namespaces, the
 *     user namespace too (unless --userns host, root's only): the caller
 *     owns it, as with `unshare -U`. G waits for a go byte; until then it
 *     is nobody in its namespace.
 *  3. The helper, told "ID PID" on its socket, does the privileged part:
 *     G's uid/gid maps from policy, its cgroup and limits, the go byte,
 *     the root-owned record, the cgroup's reaper. The reaper keeps the
 *     socket; when we shut our end, it removes the cgroup and answers
 *     whether the memory limit killed a process.
 *  4. G becomes root of its namespace, builds the root filesystem and
 *     pivots into it (mount.c), drops to the payload's ids and
 *     capabilities, seccomp last, and executes.
 *  5. We forward signals until G ends, then write its exit status into
 *     the container's directory, or with --rm join its user namespace and
 *     remove (or recycle) the directory.
 *
 * Nothing here needs a privilege: G could as well be made with unshare(1)
 * and newuidmap. A helper that refuses (tk.conf, group tk, a limit, no
 * subordinate ids) ends G before it ran a line of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "rt.h"
#include "helper.h"
#include "sanitize.h"

extern char **environ;

#define MAX_LIMIT_ARGS 64

struct run_opts {
	bool rm, userns_host, net_host, notify, tty, init;
	const char *hostname, *id;
	struct payload p;
	const char *layers[TK_MAX_LAYERS];
	int nlayers;
	const char *limits[MAX_LIMIT_ARGS];   /* for the helper, which checks them */
	int nlimits;
	char **argv;
};

static _Noreturn void
usage(const char *what)
{
	die(2, "run: %s", what);
}

static bool
flag_opt(const char *a, const char *name, bool *seen)
{
	if (strcmp(a, name))
		return false;
	if (*seen)
		die(2, "run: duplicate %s", name);
	*seen = true;
	return true;
}

static bool
payload_opt(const char *a, const char *v, struct payload *p)
{
	if (!strcmp(a, "--seccomp")) {
		if (p->unconfined || strcmp(v, "unconfined"))
			usage("--seccomp takes 'unconfined', once");
		p->unconfined = true;
	} else if (!strcmp(a, "--user")) {
		unsigned long u, g;
		char *end;
		if (p->have_user)
			usage("duplicate --user");
		errno = 0;
		u = strtoul(v, &end, 10);
		g = u;
		/* strtoul takes "", " 1", "+1" and "-1": each part must begin
		 * with a digit. */
		if (*end == ':' && end[1] >= '0' && end[1] <= '9')
			g = strtoul(end + 1, &end, 10);
		if (errno || *end || v[0] < '0' || v[0] > '9' || u > UINT32_MAX - 2 || g > UINT32_MAX - 2)
			usage("--user takes UID[:GID], decimal");
		p->uid = (uint32_t)u;
		p->gid = (uint32_t)g;
		p->have_user = true;
	} else if (!strcmp(a, "--workdir")) {
		if (p->workdir || v[0] != '/' || strnlen(v, 4096) >= 4096)
			usage("--workdir takes one absolute path");
		p->workdir = v;
	} else if (!strcmp(a, "--env")) {
		const char *eq = strchr(v, '=');
		if (!eq || eq == v || p->nenv >= MAX_ENV)
			usage("--env takes KEY=VALUE");
		p->env[p->nenv++] = (char *)v;
	} else {
		return false;
	}
	return true;
}

static void
parse_args(int argc, char **argv, struct run_opts *o)
{
	bool seen_net = false, seen_userns = false;
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (flag_opt(a, "--rm", &o->rm) || flag_opt(a, "--notify", &o->notify) ||
		    flag_opt(a, "--tty", &o->tty) || flag_opt(a, "--init", &o->init))
			continue;
		if (a[0] != '-') {
			if (o->id || !tk_valid_id(a))
				usage(o->id ? "one container id" : "bad container id");
			o->id = a;
			continue;
		}
		if (!v)
			usage("missing value");
		if (!strcmp(a, "--userns")) {
			if (seen_userns || strcmp(v, "host"))
				usage("--userns takes 'host', once");
			seen_userns = o->userns_host = true;
		} else if (!strcmp(a, "--net")) {
			if (seen_net || (strcmp(v, "host") && strcmp(v, "none")))
				usage("--net takes 'none' or 'host', once");
			seen_net = true;
			o->net_host = !strcmp(v, "host");
		} else if (payload_opt(a, v, &o->p)) {
			;
		} else if (!strcmp(a, "--hostname")) {
			if (o->hostname || !tk_valid_hostname(v))
				usage("bad or duplicate --hostname");
			o->hostname = v;
		} else if (!strcmp(a, "--layer")) {
			if (strlen(v) != 64 || strspn(v, "0123456789abcdef") != 64 ||
			    o->nlayers >= TK_MAX_LAYERS)
				usage("--layer takes a layer id (64 hex digits)");
			o->layers[o->nlayers++] = v;
		} else {
			/* A limit: the helper's to check (helper/protocol.h). */
			if (o->nlimits + 2 > MAX_LIMIT_ARGS)
				usage("too many limits");
			o->limits[o->nlimits++] = a;
			o->limits[o->nlimits++] = v;
		}
		i++;
	}
	if (!o->id || o->nlayers == 0 || i >= argc)
		usage("usage: run [options] --layer HEX... ID -- ARGV...");
	o->argv = argv + i;
}

static void
set_loopback_up(void)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		die_errno(TK_EXIT_FAIL, "cannot bring up lo");
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		die_errno(TK_EXIT_FAIL, "cannot bring up lo");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		die_errno(TK_EXIT_FAIL, "cannot bring up lo");
	close(s);
}

/* mkdir -p inside the container, after pivot_root: every path resolves
 * within the container's own root. */
static void
make_workdir(const char *dir)
{
	char buf[4096];
	size_t n = strlen(dir);

	memcpy(buf, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != 0)
			continue;
		char c = buf[i];
		buf[i] = 0;
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return;   /* chdir will report it */
		buf[i] = c;
	}
}

struct child_ctx {
	const struct run_opts *o;
	const struct rootfs_spec *spec;
	int go;          /* read end: one byte once the helper is done */
	int gofd;        /* our end, closed in G */
	int execfd;      /* write end, close-on-exec: EOF once G executed */
	int execrd;      /* our end, closed in G */
	int sock;        /* our end of the reaper's socket, closed in G */
	int parent;      /* pidfd of ours */
	bool entered;    /* G told the sanitizers of its stack (SANITIZE=1) */
};

/*
 * G runs in our memory until it executes the payload (clone with
 * CLONE_VM, on a stack of its own): no page tables copied, no
 * copy-on-write faults on either side, nothing to tear down at its exec;
 * about 1.1 ms of a start on the test machine. The two never run at the
 * same time: until the go byte G only waits in read() (system calls, no
 * global, no errno), and from the go byte until G executes or dies we
 * only wait in read() on the exec pipe. With --init, G stays pid 1 and
 * never executes: it gets a copy of the memory, as with fork.
 */
static char child_stack[256 * 1024] __attribute__((aligned(16)));

/* G's way out before the go byte (a helper that refused ends without
 * it): exit_group as a plain system call. Until the go byte G must not
 * touch the runner's memory, which the sanitizers' bookkeeping of a
 * noreturn call (_exit) on this stack would (SANITIZE=1). */
static int
quit_before_go(void)
{
	(void)syscall(SYS_exit_group, TK_EXIT_FAIL);
	return TK_EXIT_FAIL;
}

static int
child_main(void *arg)
{
	struct child_ctx *c = arg;
	const struct run_opts *o = c->o;
	bool can_setgroups = true;
	char go;

	/* We may die at any point: the death signal first, then a check
	 * that we were still alive when it was set, so the container never
	 * outlives its runner untracked (SECURITY.md 33). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return quit_before_go();
	close(c->gofd);
	close(c->execrd);
	close(c->sock);
	if (o->notify && !o->tty)
		close(TK_NOTIFY_FD);   /* the runner's to answer on */
	/* Until the helper has written the maps we are nobody in our
	 * namespace and touch nothing (SECURITY.md 18). */
	if (read(c->go, &go, 1) != 1 ||
	    poll(&(struct pollfd){ .fd = c->parent, .events = POLLIN }, 1, 0) != 0) {
		(void)!write(c->execfd, &(char){ TK_NOTIFY_FAILED }, 1);
		return quit_before_go();
	}
	/* The runner waits in read() from here on: its memory is ours.
	 * Nobody in the container may ptrace us (a tk-exec'd root with
	 * CAP_SYS_PTRACE in the namespace, once we pivoted): that memory is
	 * the runner's, which lives on outside. The flag is the memory's,
	 * so the runner stays non-dumpable too; it opened our
	 * /proc/PID/ns/user before the go byte. */
	tk_san_stack_enter(child_stack, sizeof(child_stack));
	c->entered = true;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die_errno(TK_EXIT_FAIL, "cannot become non-dumpable");
	close(c->go);
	die_notify_fd = c->execfd;   /* from here on, die() tells the runner */
	if (c->spec->userns) {
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			die_errno(TK_EXIT_FAIL, "cannot become root of the user namespace");
		/* Denied (EPERM) unless a subordinate gid range is mapped
		 * (helper/idmap.c, CVE-2018-7169). */
		if (setgroups(0, NULL) < 0) {
			if (errno != EPERM)
				die_errno(TK_EXIT_FAIL, "cannot clear groups");
			can_setgroups = false;
		}
	}
	/* A cgroup namespace rooted where the helper put us. */
	if (unshare(CLONE_NEWCGROUP) < 0)
		die_errno(TK_EXIT_FAIL, "cannot create the cgroup namespace");
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die_errno(TK_EXIT_FAIL, "cannot set parent death signal");
	if (o->hostname && sethostname(o->hostname, strlen(o->hostname)) < 0)
		die_errno(TK_EXIT_FAIL, "cannot set hostname");
	rootfs_setup(c->spec);
	if (!o->net_host)
		set_loopback_up();
	make_workdir(o->p.workdir ? o->p.workdir : "/");
	/* A new session: the payload has no controlling terminal, so it
	 * cannot push input into the caller's (TIOCSTI, CVE-2017-5226). */
	if (setsid() < 0)
		die_errno(TK_EXIT_FAIL, "cannot start a session");
	if (o->tty)
		tty_setup(TK_NOTIFY_FD);
	/* Every descriptor goes but the close-on-exec exec pipe, moved to 3
	 * (the store's place: the root filesystem is built). */
	if (dup3(c->execfd, 3, O_CLOEXEC) < 0)
		die_errno(TK_EXIT_FAIL, "cannot move descriptors");
	die_notify_fd = 3;
	if (close_range(4, ~0U, 0) < 0)
		die_errno(TK_EXIT_FAIL, "cannot close descriptors");
	payload_enter(&o->p, can_setgroups);
	if (o->init)
		init_fork();
	exec_payload(o->argv, (char **)o->p.env);
}

/*
 * After the go byte: wait until G has executed the payload or died, and
 * for --notify tell the caller which. G writes a byte into the
 * close-on-exec pipe only from die(); EOF alone means it executed. To EOF
 * even after a failure byte: G has left our memory only once it exited
 * (or executed) and its end is closed. Every signal is blocked: no EINTR.
 */
static void
wait_for_exec(int execfd, bool notify)
{
	char b = TK_NOTIFY_READY, c;
	ssize_t n;

	while ((n = read(execfd, &c, 1)) > 0)
		b = TK_NOTIFY_FAILED;
	b = n < 0 ? TK_NOTIFY_FAILED : b;
	close(execfd);
	if (notify) {
		(void)!send(TK_NOTIFY_FD, &b, 1, MSG_NOSIGNAL);
		close(TK_NOTIFY_FD);
	}
}

/*
 * The helper, started before G exists: `tk-helper start [--userns host]
 * [LIMIT VALUE]... -`, with one end of a socket as its fd 3 (the
 * container's id and G's pid follow on it, then it is the reaper's) and
 * the write end of G's go pipe as its fd 4. Its exec and start-up (2 ms
 * on the test machine, most of it glibc's) overlap our own work and G's
 * clone. vfork: we are suspended until the child has executed (it touches
 * nothing of ours but its own return), and no handler of ours need be
 * reset in it (posix_spawn resets each signal's: 0.3 ms here).
 */
static struct {
	pid_t pid, parent;
	int sock, go[2];
} helper = { -1, -1, -1, { -1, -1 } };

/* exit() or die() before rt_run() took the helper: it sees EOF, and is
 * reaped, not left to init. Only by its parent: G shares our memory and
 * may die() too. */
static void
reap_unused_helper(void)
{
	if (helper.pid <= 0 || getpid() != helper.parent)
		return;
	close(helper.sock);
	while (waitpid(helper.pid, NULL, 0) < 0 && errno == EINTR)
		;
	helper.pid = -1;
}

static int rm_tree(int dirfd, const char *name, int depth);

/* A foreground --rm container that never started (we hold its lock) goes
 * when we die() before its start, as when the helper refuses it (with
 * --notify or --tty our caller is still there to do that). */
static struct {
	int ctsfd;
	const char *id;
} unstarted = { -1, NULL };

/* die_hook, from rt_run() on; only in the runner itself (G shares our
 * memory and may die() too). */
static pid_t runner = -1;

static void
runner_dies(void)
{
	if (getpid() != runner)
		return;
	reap_unused_helper();
	if (unstarted.id)
		rm_tree(unstarted.ctsfd, unstarted.id, 0);
}

void
rt_spawn_helper(bool userns_host, int nlimits, char *const *limits)
{
	const char *argv[16 + MAX_LIMIT_ARGS];
	int n = helper_argv(argv), sv[2];

	if (helper.pid > 0)
		return;
	argv[n++] = "start";
	if (userns_host) {
		argv[n++] = "--userns";
		argv[n++] = "host";
	}
	for (int i = 0; i < nlimits && i < MAX_LIMIT_ARGS; i++)
		argv[n++] = limits[i];
	argv[n++] = "-";
	argv[n] = NULL;
	if (pipe2(helper.go, O_CLOEXEC) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die_errno(TK_EXIT_FAIL, "cannot create pipes");
	helper.pid = vfork();
	if (helper.pid == 0) {
		if (dup2(sv[1], TK_REAPER_FD) == TK_REAPER_FD &&
		    dup2(helper.go[1], TK_GO_FD) == TK_GO_FD)
			execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (helper.pid < 0)
		die_errno(TK_EXIT_FAIL, "cannot run '%s'", argv[0]);
	close(sv[1]);
	helper.sock = sv[0];
	helper.parent = getpid();
	atexit(reap_unused_helper);
}

/* The exit status, and the oom mark next to it (the memory limit killed
 * a process), in the container's directory. */
static void
write_ct_file(int ctfd, const char *name, const char *text)
{
	int fd = openat(ctfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd >= 0) {
		(void)!write(fd, text, strlen(text));
		close(fd);
	}
}

/* Remove what the directory fd holds (fd is closed) but, for a SPARE,
 * its upper and work; 0 when all of it went. */
static int
rm_contents(int fd, int depth, bool spare)
{
	struct dirent *de;
	DIR *d = fdopendir(fd);
	int rc = 0;

	if (!d)
		return close(fd), -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && !(spare &&
		    (!strcmp(de->d_name, TK_CT_UPPER) || !strcmp(de->d_name, TK_CT_WORK))))
			rc |= rm_tree(fd, de->d_name, depth + 1);
	closedir(d);
	return rc;
}

/* Remove a tree beneath dirfd without following symlinks or crossing
 * mounts. */
static int
rm_tree(int dirfd, const char *name, int depth)
{
	struct stat st;
	int fd;

	if (depth > 512 || fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		rm_contents(fd, depth, false);
	return unlinkat(dirfd, name, AT_REMOVEDIR);
}

/*
 * --rm: keep the container's directory, emptied, for the next run to take
 * (tk-run renames tmp/spare-<n> to its new id): on a store mounted with
 * "discard", each directory freed waits for the disk. Kept only when its
 * upper and work can pass for new ones: the container's root is upper's
 * inode, so its owner, mode, size and xattrs (but overlayfs's own, which
 * are removed) must be those of a mkdir.
 */
static bool
recycle(int ctsfd, int ctfd, const char *id)
{
	static const char *const keep[] = { TK_CT_UPPER, TK_CT_WORK };
	char spare[16], names[256];
	struct stat st;
	ssize_t n;
	int fd, tmpfd;
	bool kept = false;

	if (rm_contents(dup(ctfd), 0, true) < 0)
		return false;
	for (size_t i = 0; i < 2; i++) {
		fd = openat(ctfd, keep[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return false;
		n = flistxattr(fd, names, sizeof(names));
		for (char *p = names; n > 0 && p < names + n; p += strlen(p) + 1)
			if (strncmp(p, "user.overlay.", 13) || fremovexattr(fd, p) < 0)
				n = -1;   /* the container's own, or an ACL */
		if (n < 0 || fstat(fd, &st) < 0 || st.st_uid || st.st_gid ||
		    (st.st_mode & 07777) != 0755 || st.st_size > 4096) {
			close(fd);
			return false;
		}
		if (rm_contents(fd, 1, false) < 0)
			return false;
	}
	flock(ctfd, LOCK_UN);   /* the next run locks it under its new id */
	tmpfd = openat(TK_STORE_FD, "tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	for (int i = 0; tmpfd >= 0 && !kept && i < TK_SPARES; i++) {
		snprintf(spare, sizeof(spare), "spare-%d", i);
		kept = renameat2(ctsfd, id, tmpfd, spare, RENAME_NOREPLACE) == 0;
	}
	if (tmpfd >= 0)
		close(tmpfd);
	return kept;
}

/*
 * --rm, at the very end: join the container's user namespace (the caller
 * owns it), become its root, which is the caller outside with the
 * caller's subordinate ids, and remove the container's directory. We
 * exit right after: nothing else runs in that namespace.
 */
static void
remove_container(int nsfd, int ctsfd, int ctfd, const char *id)
{
	if (nsfd >= 0 && (setns(nsfd, CLONE_NEWUSER) < 0 || setresgid(0, 0, 0) < 0 ||
			  setresuid(0, 0, 0) < 0)) {
		fprintf(stderr, "%s: warning: cannot enter the user namespace to remove "
			"container %s\n", rt_prog, id);
		return;
	}
	if (!recycle(ctsfd, ctfd, id) && rm_tree(ctsfd, id, 0) < 0)
		fprintf(stderr, "%s: warning: could not remove container %s\n", rt_prog, id);
}

/* The reaper's answer once G has ended: shut our end, and it removes the
 * cgroup and says 'o' when the memory limit killed a process. No cgroup,
 * no reaper: EOF at once. */
static bool
reaper_says_oom(int sock)
{
	char c = 0;

	shutdown(sock, SHUT_WR);
	while (read(sock, &c, 1) < 0 && errno == EINTR)
		;
	close(sock);
	return c == 'o';
}

int
rt_run(int argc, char **argv)
{
	static struct run_opts o;
	static struct rootfs_spec spec;
	struct child_ctx c;
	int gopipe[2], execpipe[2], sock, ctsfd, ctfd, layersfd, nsfd = -1, parentfd, status, n;
	char path[40], idpid[TK_ID_MAX + 16];
	sigset_t fwd;
	pid_t pid, r;
	unsigned long flags;
	bool oom;

	runner = getpid();
	die_hook = runner_dies;
	parse_args(argc, argv, &o);
	if (!o.p.have_user)
		o.p.uid = o.p.gid = 0;
	/* The exit and oom files are for the tools to read, whatever the
	 * caller's umask; the payload starts with runc's 022 too. */
	umask(022);

	/* Held until we exit: tk-rm waits on it, so it never removes a
	 * directory we still write to, and a second run of the same
	 * container is refused. */
	ctsfd = open_store_dir(TK_STORE_FD, "containers");
	ctfd = open_store_dir(ctsfd, o.id);
	if (flock(ctfd, LOCK_EX | LOCK_NB) < 0)
		die(TK_EXIT_FAIL, "container %s is already running", o.id);
	if (o.rm && !o.notify && !o.tty)
		unstarted.ctsfd = ctsfd, unstarted.id = o.id;
	layersfd = open_store_dir(TK_STORE_FD, "layers");
	for (int i = 0; i < o.nlayers; i++)
		close(open_store_dir(layersfd, o.layers[i]));
	close(layersfd);
	spec = (struct rootfs_spec){ o.id, o.layers, o.nlayers, !o.userns_host, o.net_host, o.rm };

	parentfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (parentfd < 0)
		die_errno(TK_EXIT_FAIL, "cannot open a pidfd");
	if (pipe2(execpipe, O_CLOEXEC) < 0)
		die_errno(TK_EXIT_FAIL, "cannot create pipes");
	block_forwarded(&fwd);

	/* The helper first, unless our caller started it already: its
	 * start-up overlaps the clone. It gets G's pid on the socket and
	 * sends G the go byte itself when it is done, so that G builds its
	 * root while it exits. We keep no copy of the go pipe: a helper
	 * that ends without sending it ends G. */
	rt_spawn_helper(o.userns_host, o.nlimits, (char *const *)o.limits);
	gopipe[0] = helper.go[0];
	gopipe[1] = helper.go[1];
	sock = helper.sock;

	flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP;
	if (!o.net_host)
		flags |= CLONE_NEWNET;
	if (!o.init)
		flags |= CLONE_VM;   /* see child_main */
	if (spec.userns)
		flags |= CLONE_NEWUSER;
	c = (struct child_ctx){ &o, &spec, gopipe[0], gopipe[1], execpipe[1], execpipe[0],
				sock, parentfd, false };
	pid = clone(child_main, child_stack + sizeof(child_stack), (int)flags | SIGCHLD, &c);
	if (pid < 0)
		die_errno(TK_EXIT_FAIL, "cannot create the container's namespaces");
	close(gopipe[0]);
	close(gopipe[1]);
	close(execpipe[1]);
	close(parentfd);
	if (o.tty && !o.notify)
		close(TK_NOTIFY_FD);   /* G's copy is the only one */
	/* --rm: the user namespace, for the removal at the end. */
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	if (spec.userns && o.rm && (nsfd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		die_errno(TK_EXIT_FAIL, "cannot open the container's user namespace");
	/* A helper that refused already has closed its end: its status
	 * below says so. */
	n = snprintf(idpid, sizeof(idpid), "%s %d\n", o.id, (int)pid);
	(void)!send(sock, idpid, (size_t)n, MSG_NOSIGNAL);

	/* From the helper's go byte on, G may run in our memory: we only
	 * wait, in waitpid() and then in read() until G executed. */
	while ((r = waitpid(helper.pid, &status, 0)) < 0 && errno == EINTR)
		;
	helper.pid = -1;
	if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* Refused, its reason on stderr: G never ran a line of its
		 * own (it would be ended below anyway). A foreground --rm
		 * container goes with it (with --notify or --tty our caller
		 * is still there to do that). */
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		if (o.rm && !o.notify && !o.tty)
			rm_tree(ctsfd, o.id, 0);
		/* Not the helper's own refusal (2 or 125, its reason said):
		 * sudo's, or no helper at all. */
		if (r < 0 || !WIFEXITED(status) ||
		    (WEXITSTATUS(status) != 2 && WEXITSTATUS(status) != TK_EXIT_FAIL))
			fprintf(stderr, "%s: the container did not start: sudo or %s refused "
				"(see above); tk-doctor checks sudoers.d/tk and group tk\n",
				rt_prog, helper_path());
		return r >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 2 ? 2 : TK_EXIT_FAIL;
	}
	unstarted.id = NULL;   /* started: --rm removes it at the end */
	wait_for_exec(execpipe[0], o.notify);
	/* G has executed (or died): the memory is ours alone again, with
	 * what G left in it. */
	die_notify_fd = -1;
	if (c.entered)
		tk_san_stack_leave();

	status = forward_until_exit(&fwd, pid);
	oom = reaper_says_oom(sock);
	if (oom)
		fprintf(stderr, "%s: container %s: the memory limit was reached: "
			"a process was killed (OOM)\n", rt_prog, o.id);
	if (o.rm) {
		remove_container(nsfd, ctsfd, ctfd, o.id);
	} else {
		char buf[16];
		if (oom)
			write_ct_file(ctfd, TK_CT_OOM, "oom\n");
		else
			unlinkat(ctfd, TK_CT_OOM, 0);
		snprintf(buf, sizeof(buf), "%d\n", status);
		write_ct_file(ctfd, TK_CT_EXIT, buf);
	}
	return status;
}
