/*
 * The run verb: start container ID of the caller's store.
 *
 * Phases, each with the privileges it needs and no more:
 *
 *  1. parent, root: parse and validate argv; open the container and layer
 *     directories beneath the caller's store with the caller's file
 *     credentials (SECURITY.md 18-19); prepare the root-owned record dir.
 *  2. parent: clone the container's first process G into new namespaces
 *     with the effective ids of the caller, so the new user namespace is
 *     owned by the caller (as if the caller had unshared it); G holds no
 *     privileged descriptor and has no capability outside its namespace.
 *  3. parent, root: write G's uid/gid maps from policy (SECURITY.md 25),
 *     record G (pid and start time) under /run/tk/<uid>/, then drop every
 *     privilege for good and wait for G, forwarding signals.
 *  4. G, root of its user namespace only: become uid 0 of the namespace
 *     (the caller outside), build the root filesystem and pivot into it
 *     (mount.c), then drop to the payload's ids and capabilities and exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <dirent.h>

#include "helper.h"
#include "sanitize.h"

struct run_opts {
	bool rm, userns_host, net_host, notify, tty, init;
	const char *hostname, *id;
	struct payload p;
	const char *layers[TK_MAX_LAYERS];
	int nlayers;
	char **argv;
	struct cg_limits limits;
};

static _Noreturn void
usage(const char *what)
{
	die(2, "run: %s", what);
}

static bool
flag_opt(const char *a, const char *name, bool *seen, void (*bad)(const char *what))
{
	char msg[32];

	if (strcmp(a, name))
		return false;
	snprintf(msg, sizeof(msg), "duplicate %s", name);
	if (*seen)
		bad(msg);
	*seen = true;
	return true;
}

static bool
payload_opt(const char *a, const char *v, struct payload *p, void (*bad)(const char *what))
{
	if (!strcmp(a, "--seccomp")) {
		if (p->unconfined || strcmp(v, "unconfined"))
			bad("--seccomp takes 'unconfined', once");
		p->unconfined = true;
	} else if (!strcmp(a, "--user")) {
		char buf[32], *colon;
		if (p->have_user || strnlen(v, sizeof(buf)) >= sizeof(buf))
			bad("bad or duplicate --user");
		memcpy(buf, v, strlen(v) + 1);
		colon = strchr(buf, ':');
		if (colon)
			*colon = 0;
		if (!parse_u32(buf, UINT32_MAX - 2, &p->uid) ||
		    !parse_u32(colon ? colon + 1 : buf, UINT32_MAX - 2, &p->gid))
			bad("--user takes UID[:GID], decimal");
		p->have_user = true;
	} else if (!strcmp(a, "--workdir")) {
		if (p->workdir || v[0] != '/' || strnlen(v, 4096) >= 4096)
			bad("--workdir takes one absolute path");
		p->workdir = v;
	} else if (!strcmp(a, "--env")) {
		const char *eq = strchr(v, '=');
		if (!eq || eq == v || p->nenv >= MAX_ENV)
			bad("--env takes KEY=VALUE");
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
		if (flag_opt(a, "--rm", &o->rm, usage) || flag_opt(a, "--notify", &o->notify, usage) ||
		    flag_opt(a, "--tty", &o->tty, usage) || flag_opt(a, "--init", &o->init, usage))
			continue;
		if (!v)
			usage("missing value or container id");
		if (!strcmp(a, "--userns")) {
			if (seen_userns || strcmp(v, "host"))
				usage("--userns takes 'host', once");
			seen_userns = o->userns_host = true;
		} else if (!strcmp(a, "--net")) {
			if (seen_net || (strcmp(v, "host") && strcmp(v, "none")))
				usage("--net takes 'none' or 'host', once");
			seen_net = true;
			o->net_host = !strcmp(v, "host");
		} else if (payload_opt(a, v, &o->p, usage)) {
			;
		} else if (!strcmp(a, "--hostname")) {
			if (o->hostname || !tk_valid_hostname(v))
				usage("bad or duplicate --hostname");
			o->hostname = v;
		} else if (!strcmp(a, "--layer")) {
			if (!valid_hex64(v) || o->nlayers >= TK_MAX_LAYERS)
				usage("--layer takes a layer id (64 hex digits)");
			o->layers[o->nlayers++] = v;
		} else if (cgroup_parse_opt(a, v, &o->limits)) {
			;
		} else if (a[0] == '-') {
			usage("unknown option");
		} else {
			if (o->id || !tk_valid_id(a))
				usage(o->id ? "one container id" : "bad container id");
			o->id = a;
			continue;
		}
		i++;
	}
	if (!o->id || o->nlayers == 0 || i >= argc || argc - i < 1)
		usage("usage: run [options] --layer HEX... ID -- ARGV...");
	o->argv = argv + i;
	if (o->userns_host && !caller.root)
		die(TK_EXIT_FAIL, "--userns host is only for root");
}

/* The caller's store, handed over as an fd that the caller opened: a
 * directory owned by the caller that nobody else can write. */
static void
check_store_fd(void)
{
	struct stat st;

	if (fstat(TK_STORE_FD, &st) < 0 || !S_ISDIR(st.st_mode))
		die(TK_EXIT_FAIL, "run: fd %d is not the store directory", TK_STORE_FD);
	if (st.st_uid != caller.uid || (st.st_mode & 022))
		die_denied("run: store fd not owned by the caller or writable by others");
}

/* --notify: fd TK_NOTIFY_FD must be a unix socket. We only ever send
 * one byte on it, so the caller's end is all it can reach; anything else
 * there is closed, so no stray descriptor of the caller's stays open. */
static void
check_notify_fd(bool notify)
{
	struct stat st;
	int domain = 0;
	socklen_t len = sizeof(domain);

	if (!notify) {
		close(TK_NOTIFY_FD);
		return;
	}
	if (fstat(TK_NOTIFY_FD, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(TK_NOTIFY_FD, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 ||
	    domain != AF_UNIX)
		die(TK_EXIT_FAIL, "run: --notify needs a unix socket on fd %d", TK_NOTIFY_FD);
	if (fcntl(TK_NOTIFY_FD, F_SETFD, FD_CLOEXEC) < 0)
		die_errno(TK_EXIT_FAIL, "run: notify fd");
}

/*
 * In the parent, after the go byte: wait until G has executed the payload
 * or died, and for --notify tell the caller which. G holds the write end
 * of a close-on-exec pipe and writes a byte into it only from die(); EOF
 * alone means G executed the payload. The parent, not G, tells the
 * caller, because in sudo mode sudo holds copies of our descriptors: the
 * caller could never see EOF. A caller that went away is no reason to
 * fail. No errno, no global touched until read() returns (child_main).
 */
static void
wait_for_exec(int execfd, bool notify)
{
	char b = TK_NOTIFY_READY, c;
	ssize_t n;

	/* To EOF even after a failure byte: G has left our memory only once
	 * it exited (or executed) and its end is closed. Every signal is
	 * blocked: no EINTR. */
	while ((n = read(execfd, &c, 1)) > 0)
		b = TK_NOTIFY_FAILED;
	b = n < 0 ? TK_NOTIFY_FAILED : b;
	close(execfd);
	if (notify) {
		(void)!send(TK_NOTIFY_FD, &b, 1, MSG_NOSIGNAL);
		close(TK_NOTIFY_FD);
	}
}

static int
open_dir_as_caller(int dirfd, const char *name)
{
	int fd = openat_beneath(dirfd, name, O_RDONLY | O_DIRECTORY, 0);

	if (fd < 0)
		die_denied("run: cannot open '%s': %s", name, strerror(errno));
	return fd;
}

/* A directory of ours, root's and mode 0711: its owner's tools open the
 * records by name (tk-ls), nobody else can list which containers, or
 * which users, there are. An older tk made them 0755. */
static int
record_subdir(int at, const char *name, const char *what)
{
	struct stat st;
	int dir;

	if (mkdirat(at, name, 0711) < 0 && errno != EEXIST)
		die_errno(TK_EXIT_FAIL, "cannot create %s", what);
	dir = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		die_errno(TK_EXIT_FAIL, "cannot open %s", what);
	if (fstat(dir, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022))
		die(TK_EXIT_FAIL, "%s is not root's", what);
	if ((st.st_mode & 07777) != 0711 && fchmod(dir, 0711) < 0)
		die_errno(TK_EXIT_FAIL, "cannot make %s private", what);
	return dir;
}

/* /run/tk/<uid>: root-owned, made by us; a symlink or a foreign owner at
 * any level is refused. */
int
open_record_dir(void)
{
	char uidbuf[16], what[sizeof(TK_RUNDIR) + 16];
	int run, tk, dir;

	run = open("/run", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (run < 0)
		die_errno(TK_EXIT_FAIL, "cannot open /run");
	tk = record_subdir(run, "tk", TK_RUNDIR);
	close(run);
	snprintf(uidbuf, sizeof(uidbuf), "%u", (unsigned)caller.uid);
	snprintf(what, sizeof(what), TK_RUNDIR "/%s", uidbuf);
	dir = record_subdir(tk, uidbuf, what);
	close(tk);
	return dir;
}

/* Start time of a process in clock ticks since boot (field 22 of stat);
 * 0 when it is gone. With ZOMBIE: whether it has ended, unreaped. */
unsigned long long
proc_starttime(pid_t pid, bool *zombie)
{
	char path[32], buf[1024];
	const char *state;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(AT_FDCWD, path, buf, sizeof(buf)) <= 0)
		return 0;
	state = strrchr(buf, ')');
	if (zombie)
		*zombie = !state || state[1] != ' ' || state[2] == 'Z' || state[2] == 'X';
	return tk_stat_starttime(buf);
}

static bool
record_alive(int dirfd, const char *name)
{
	char buf[64];
	int pid;
	unsigned long long t;

	if (read_small(dirfd, name, buf, sizeof(buf)) <= 0 ||
	    sscanf(buf, "%d %llu", &pid, &t) != 2 || pid <= 0)
		return false;
	return proc_starttime(pid, NULL) == t;
}

/*
 * Records whose process is gone are stale: remove them (SECURITY.md 33).
 * Every --rm run leaves one, and an unlink is a journal write on a disk
 * /run, so they are swept in batches, once more than a few have piled up;
 * a stale record never counts as running in the meantime. A ".<id>" is
 * a record being written (write_record): the caller holds the lock on
 * the directory, under which every record is written, so one seen here
 * was left by a run killed while writing it, and goes at once.
 */
static void
clean_stale_records(int dirfd)
{
	DIR *d;
	struct dirent *de;
	int fd = dup(dirfd), n = 0;

	if (fd < 0 || !(d = fdopendir(fd)))
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' && tk_valid_id(de->d_name + 1))
			unlinkat(dirfd, de->d_name, 0);
		n++;
	}
	if (n > 2 + 32) {
		rewinddir(d);
		while ((de = readdir(d)))
			if (de->d_name[0] != '.' && !record_alive(dirfd, de->d_name))
				unlinkat(dirfd, de->d_name, 0);
	}
	closedir(d);
}

static void
write_record(int dirfd, const char *id, pid_t pid)
{
	char buf[64], tmp[TK_ID_MAX + 8];
	int fd, n;

	n = snprintf(buf, sizeof(buf), "%d %llu\n", (int)pid, proc_starttime(pid, NULL));
	snprintf(tmp, sizeof(tmp), ".%s", id);
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		die_errno(TK_EXIT_FAIL, "cannot write record");
	write_all_or_die(fd, buf, n, "record");
	close(fd);
	if (renameat(dirfd, tmp, dirfd, id) < 0)
		die_errno(TK_EXIT_FAIL, "cannot write record");
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
	struct rootfs_spec *spec;
	const struct idmap *map;
	int go;          /* read end: one byte once the parent is done */
	int gofd;        /* the parent's end, closed here */
	int recdir;      /* the parent's, closed here */
	int execfd;      /* write end, close-on-exec: EOF once G executed */
	int execrd;      /* the parent's end, closed here */
	int parent;      /* pidfd of the parent */
	bool entered;    /* G told the sanitizers of its stack (SANITIZE=1) */
};

/*
 * G runs in the parent's memory until it executes the payload (clone with
 * CLONE_VM, on a stack of its own): no page tables copied, no
 * copy-on-write faults on either side, and nothing to tear down at its
 * exec; about 1.5 ms of a start on this machine's VM. The two never run
 * our code at the same time: until the go byte G only waits in read()
 * (system calls; no global, no errno unless it fails and exits), and from
 * the go byte until G executes or dies the parent only waits in read()
 * on the exec pipe. By the go byte the parent has dropped every
 * privilege for good (verb_run), so even a G turned hostile while it
 * builds the root could reach nothing but the caller's own process; the
 * memory is non-dumpable throughout. With --init, G stays pid 1 and never
 * executes: it gets a copy of the memory, as with fork.
 */
static char child_stack[256 * 1024] __attribute__((aligned(16)));

static int
child_main(void *arg)
{
	struct child_ctx *c = arg;
	const struct run_opts *o = c->o;
	char go;

	/* The parent may die at any point (a failed write, SIGKILL from the
	 * caller): the death signal first, then a check that the parent was
	 * still alive when it was set, so the container never outlives it
	 * untracked (SECURITY.md 33). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		_exit(TK_EXIT_FAIL);
	close(c->gofd);
	close(c->recdir);
	close(c->execrd);
	if (o->notify && !o->tty)
		close(TK_NOTIFY_FD);   /* the parent's to answer on */
	/* Wait for the parent: until the maps are written we are nobody in
	 * our namespace and touch nothing (SECURITY.md 18). */
	if (read(c->go, &go, 1) != 1 ||
	    poll(&(struct pollfd){ .fd = c->parent, .events = POLLIN }, 1, 0) != 0)
		_exit(TK_EXIT_FAIL);
	/* The parent waits in read() from here on: its memory is ours (the
	 * flag reaches the parent only then). */
	tk_san_stack_enter(child_stack, sizeof(child_stack));
	c->entered = true;
	close(c->go);
	die_hook = NULL;   /* the parent's (a copy of it without CLONE_VM) */
	die_notify_fd = c->execfd;   /* from here on, die() tells the parent */
	if (c->spec->userns) {
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			die_errno(TK_EXIT_FAIL, "cannot become root of the user namespace");
		if (c->map->subgid && setgroups(0, NULL) < 0)
			die_errno(TK_EXIT_FAIL, "cannot clear groups");
	}
	cgroup_child_ns();
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
	limits_for_caller();
	payload_enter(&o->p, !c->spec->userns || c->map->subgid);
	if (o->init)
		init_fork();
	exec_payload(o->argv, (char **)o->p.env);
}

/* The exit status, and the oom mark next to it (the memory limit killed
 * a process), in the container's directory, as the caller. */
static void
write_ct_file(int ctfd, const char *name, const char *text)
{
	int fd = openat(ctfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd >= 0) {
		(void)!write(fd, text, strlen(text));
		close(fd);
	}
}

static int rm_tree(int dirfd, const char *name, int depth);

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
 * mounts. Runs unprivileged, as root of the container's user namespace. */
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
 * A foreground run --rm refused before its container started (tk.conf, the
 * group, a limit, a cap, no subordinate ids...): tk-run exec'd us and is
 * gone, so we remove the container it made. It never ran, so all of it is
 * the caller's own (tk-run made it): remove it as the caller, for good, as
 * we exit anyway; not while another run holds its lock.
 */
static const char *unstarted_id;
static int unstarted_ctfd = -1;   /* verb_run's, locked */

static void
remove_unstarted(void)
{
	int ctsfd, ctfd = unstarted_ctfd;

	become_caller();
	ctsfd = openat(TK_STORE_FD, "containers", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ctfd < 0)
		ctfd = openat(ctsfd, unstarted_id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ctfd >= 0 && (ctfd == unstarted_ctfd || flock(ctfd, LOCK_EX | LOCK_NB) == 0))
		rm_tree(ctsfd, unstarted_id, 0);
}

/* From main(), before tk.conf and the group are checked: arm the above
 * for "run --rm ... ID -- ..." without --notify or --tty (those callers
 * are still there and remove it themselves). */
void
run_remove_if_refused(int argc, char **argv)
{
	int i;
	bool rm = false;

	policy_resolve_sudo();   /* the caller's ids, for the removal */
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--notify") || !strcmp(argv[i], "--tty"))
			return;
		rm |= !strcmp(argv[i], "--rm");
	}
	if (rm && i < argc && tk_valid_id(argv[i - 1])) {
		unstarted_id = argv[i - 1];
		die_hook = remove_unstarted;
	}
}

/*
 * --rm, at the very end: we hold nothing but the caller's ids now. Join
 * the container's user namespace (we made it with the caller as owner, so
 * the caller may), become its root, which is the caller outside with the
 * caller's subordinate ids, and remove the container's directory. No
 * fork: this process exits right after.
 */
static void
remove_container(int nsfd, int ctsfd, int ctfd, const char *id, bool userns)
{
	if (userns && (setns(nsfd, CLONE_NEWUSER) < 0 || setresgid(0, 0, 0) < 0 ||
		       setresuid(0, 0, 0) < 0)) {
		fprintf(stderr, "tk-helper: warning: cannot enter the user namespace to remove "
			"container %s\n", id);
		return;
	}
	if (!recycle(ctsfd, ctfd, id) && rm_tree(ctsfd, id, 0) < 0)
		fprintf(stderr, "tk-helper: warning: could not remove container %s\n", id);
}

/* The ids' change may have made us dumpable (fs.suid_dumpable). */
static void
drop_privileges_for_good(void)
{
	become_caller();
	privileged = caller.root;
	limits_for_caller();
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die_errno(TK_EXIT_FAIL, "cannot stay non-dumpable");
}

int
verb_run(int argc, char **argv)
{
	static struct run_opts o;
	static struct rootfs_spec spec;
	struct idmap map;
	struct child_ctx c;
	int gopipe[2], execpipe[2], recdir, ctsfd, ctfd, nsfd = -1, status;
	char procpath[32], go = 1;
	int parentfd;
	sigset_t fwd;
	pid_t pid;
	unsigned long flags;
	bool oom;

	parse_args(argc, argv, &o);
	if (!o.p.have_user)
		o.p.uid = o.p.gid = 0;
	check_store_fd();
	check_notify_fd(o.notify || o.tty);

	/* Phase 1: everything in the caller's store is reached with the
	 * caller's file credentials, beneath the store, no symlinks. The
	 * child opens the same again in its own mount namespace (overlayfs
	 * takes only mounts of the mounter's namespace); this is for a clear
	 * error before anything is created, and for the exit status. */
	fs_as_caller();
	ctsfd = open_dir_as_caller(TK_STORE_FD, "containers");
	ctfd = open_dir_as_caller(ctsfd, o.id);
	/* Held until we exit: tk-rm waits on it, so it never removes a
	 * directory we still write to, and a second run of the same container
	 * is refused. */
	if (flock(ctfd, LOCK_EX | LOCK_NB) < 0)
		die(TK_EXIT_FAIL, "container %s is already running", o.id);
	unstarted_ctfd = ctfd;
	{
		int layersfd = open_dir_as_caller(TK_STORE_FD, "layers");
		for (int i = 0; i < o.nlayers; i++)
			close(open_dir_as_caller(layersfd, o.layers[i]));
		close(layersfd);
	}
	fs_as_root();
	spec.id = o.id;
	spec.layers = o.layers;
	spec.nlayers = o.nlayers;
	spec.userns = !o.userns_host;
	spec.net_host = o.net_host;
	spec.scratch = o.rm;

	if (check_only)
		check_allowed("run container %s (%d layers) as %u:%u", o.id, o.nlayers, o.p.uid, o.p.gid);
	recdir = open_record_dir();
	/* SECURITY.md 15: the lock under which cgroup_setup() counts the
	 * running containers, held until our record is written. */
	if (flock(recdir, LOCK_EX) < 0)
		die_errno(TK_EXIT_FAIL, "cannot lock " TK_RUNDIR);
	clean_stale_records(recdir);
	if (record_alive(recdir, o.id))
		die(TK_EXIT_FAIL, "container %s is already running", o.id);
	policy_idmap(&map);
	cgroup_setup(&o.limits, o.id, recdir, record_alive);

	parentfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (parentfd < 0)
		die_errno(TK_EXIT_FAIL, "cannot open a pidfd");
	if (pipe2(gopipe, O_CLOEXEC) < 0 || pipe2(execpipe, O_CLOEXEC) < 0)
		die_errno(TK_EXIT_FAIL, "cannot create pipe");
	block_forwarded(&fwd);

	/* Phase 2. CLONE_NEWUSER with the caller's effective ids: the new
	 * user namespace is owned by the caller. The saved uid stays 0 so
	 * that the parent can return to root for phase 3; in the child that
	 * id is not mapped in its namespace and so can never be named. */
	flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP;
	if (!o.net_host)
		flags |= CLONE_NEWNET;
	if (!o.init)
		flags |= CLONE_VM;   /* see child_main */
	if (spec.userns) {
		flags |= CLONE_NEWUSER;
		if (setresgid(-1, caller.gid, -1) < 0 || setresuid(-1, caller.uid, -1) < 0)
			die_errno(TK_EXIT_FAIL, "cannot switch effective ids");
	}
	c = (struct child_ctx){ &o, &spec, &map, gopipe[0], gopipe[1], recdir, execpipe[1],
				execpipe[0], parentfd, false };
	pid = clone(child_main, child_stack + sizeof(child_stack), (int)flags | SIGCHLD, &c);
	if (spec.userns && (setresuid(-1, 0, -1) < 0 || setresgid(-1, 0, -1) < 0))
		die_errno(TK_EXIT_FAIL, "cannot return to root");
	if (pid < 0)
		die_errno(TK_EXIT_FAIL, "cannot create the container's namespaces");
	close(gopipe[0]);
	close(execpipe[1]);
	if (o.tty && !o.notify)
		close(TK_NOTIFY_FD);   /* G's copy is the only one */

	/* Phase 3. */
	if (spec.userns) {
		int procfd;
		snprintf(procpath, sizeof(procpath), "/proc/%d", (int)pid);
		procfd = open(procpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (procfd < 0)
			die_errno(TK_EXIT_FAIL, "cannot open %s", procpath);
		idmap_write(procfd, &map);
		nsfd = openat(procfd, "ns/user", O_RDONLY | O_CLOEXEC);
		if (nsfd < 0)
			die_errno(TK_EXIT_FAIL, "cannot open the container's user namespace");
		close(procfd);
	}
	cgroup_enter(pid);
	write_record(recdir, o.id, pid);
	close(recdir);
	cgroup_start_reaper();
	/* Every privilege goes before G runs a line of its own: it may share
	 * our memory (child_main). The drop may have made us dumpable. */
	drop_privileges_for_good();
	die_hook = NULL;   /* it starts: from here on --rm removes it at the end */
	if (write(gopipe[1], &go, 1) != 1)
		die_errno(TK_EXIT_FAIL, "cannot start the container");
	close(gopipe[1]);
	wait_for_exec(execpipe[0], o.notify);
	/* G has executed (or died): the memory is ours alone again, with
	 * what G left in it. */
	die_notify_fd = -1;
	if (c.entered)
		tk_san_stack_leave();
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die_errno(TK_EXIT_FAIL, "cannot stay non-dumpable");

	status = forward_until_exit(&fwd, pid);
	oom = cgroup_oom_killed();
	if (oom)
		fprintf(stderr, "tk-helper: container %s: the memory limit was reached: "
			"a process was killed (OOM)\n", o.id);
	if (o.rm) {
		remove_container(nsfd, ctsfd, ctfd, o.id, spec.userns);
	} else {
		char buf[16];
		if (oom)
			write_ct_file(ctfd, TK_CT_OOM, "oom\n");
		else
			unlinkat(ctfd, TK_CT_OOM, 0);
		snprintf(buf, sizeof(buf), "%d\n", status);
		write_ct_file(ctfd, TK_CT_EXIT, buf);
	}
	cgroup_finish();
	return status;
}
