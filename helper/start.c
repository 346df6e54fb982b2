/*
 * The start verb: the privileged part of starting a container, for the
 * runner in the caller's own process (rt/run.c), which has cloned the
 * container's first process G into new namespaces, its user namespace
 * the caller's, and holds it before it runs a line of its own:
 *
 *  - G pinned (a pidfd, then its /proc directory), every uid of it the
 *    caller's, its user namespace a child of ours owned by the caller
 *    (idmap.c);
 *  - under the lock on the caller's record directory: stale records swept,
 *    a running container of that id refused, tk.conf's quota counted
 *    (SECURITY.md 15), the container's cgroup made with its limits
 *    (cgroup.c, SECURITY.md 28);
 *  - G's uid/gid maps written from policy (SECURITY.md 25), G moved into
 *    the cgroup, then the go byte on fd 4 (G's pipe): G builds its root
 *    while we write the record (pid and start time, /run/tk/<uid>/), fork
 *    the reaper and exit. G shares no memory and no descriptor of ours;
 *  - the reaper holds fd 3, a unix socket of the runner's, and when the
 *    runner shuts its end (or dies), it removes the cgroup and answers
 *    'o' if the memory limit killed a process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "helper.h"

static _Noreturn void
usage(const char *what)
{
	die(2, "start: %s", what);
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
write_record(int dirfd, const char *id, pid_t pid, unsigned long long starttime)
{
	char buf[64], tmp[TK_ID_MAX + 8];
	int fd, n;

	n = snprintf(buf, sizeof(buf), "%d %llu\n", (int)pid, starttime);
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

#define USAGE "usage: start [--userns host] [LIMIT VALUE]... ID PID | ... -"

static bool
parse_pid(const char *s, uint32_t *pid)
{
	return parse_u32(s, 1U << 22, pid) && *pid >= 2;
}

/* ID and PID, or "-": both on fd 3 (*id stays NULL). */
static void
parse_args(int argc, char **argv, struct cg_limits *l, const char **id, uint32_t *pid,
	   bool *userns_host)
{
	int i;

	memset(l, 0, sizeof(*l));
	*id = NULL;
	*pid = 0;
	*userns_host = false;
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			usage("missing value");
		if (!strcmp(a, "--userns")) {
			if (*userns_host || strcmp(v, "host"))
				usage("--userns takes 'host', once");
			*userns_host = true;
		} else if (!cgroup_parse_opt(a, v, l)) {
			usage("unknown option");
		}
	}
	if (argc - i == 2) {
		if (!tk_valid_id(argv[i]))
			usage("bad container id");
		if (!parse_pid(argv[i + 1], pid))
			usage(USAGE);
		*id = argv[i];
	} else if (argc - i != 1 || strcmp(argv[i], "-")) {
		usage(USAGE);
	}
	if (*userns_host && !caller.root)
		die(TK_EXIT_FAIL, "--userns host is only for root");
}

/* "-": the runner writes "ID PID\n" on fd 3 once it has made the
 * container and cloned its process: our start-up overlaps its work. EOF
 * first: it failed before (and said so); we exit quietly. */
static void
read_id_pid(char *buf, size_t size, const char **id, uint32_t *pid)
{
	size_t n = 0;
	ssize_t r;
	char *sp;

	while (n < size - 1 && (n == 0 || buf[n - 1] != '\n')) {
		r = read(TK_REAPER_FD, buf + n, size - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 && n == 0)
			_exit(TK_EXIT_FAIL);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = 0;
	sp = strchr(buf, ' ');
	if (n < 4 || buf[n - 1] != '\n' || !sp)
		usage("fd 3: ID PID, then a newline");
	*sp = 0;
	buf[n - 1] = 0;
	if (!tk_valid_id(buf))
		usage("bad container id");
	if (!parse_pid(sp + 1, pid))
		usage("fd 3: ID PID, then a newline");
	*id = buf;
}

/* fd 3: a unix socket, the runner's other end; the reaper's only reach. */
static void
check_reaper_fd(void)
{
	struct stat st;
	int domain = 0;
	socklen_t len = sizeof(domain);

	if (fstat(TK_REAPER_FD, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(TK_REAPER_FD, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 ||
	    domain != AF_UNIX)
		die(TK_EXIT_FAIL, "start: fd %d is not a unix socket", TK_REAPER_FD);
	if (fcntl(TK_REAPER_FD, F_SETFD, FD_CLOEXEC) < 0)
		die_errno(TK_EXIT_FAIL, "start: fd %d", TK_REAPER_FD);
}

/* The go byte on fd 4, the write end of the pipe the process waits on,
 * when the runner passed one (a pipe: nothing else is written to). */
static void
send_go(void)
{
	struct stat st;

	if (fstat(TK_GO_FD, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)!write(TK_GO_FD, "\1", 1);
	close(TK_GO_FD);
}

int
verb_start(int argc, char **argv)
{
	struct cg_limits limits;
	struct idmap map;
	const char *id;
	uint32_t pid;
	bool userns_host;
	int procfd, recdir;
	char buf[1024], idbuf[TK_ID_MAX + 16];

	parse_args(argc, argv, &limits, &id, &pid, &userns_host);
	check_reaper_fd();
	if (!id)
		read_id_pid(idbuf, sizeof(idbuf), &id, &pid);
	procfd = pin_caller_process("start", pid);
	if (!userns_host)
		check_callers_userns("start", procfd, pid);
	if (check_only)
		check_allowed("start container %s, process %u", id, pid);
	recdir = open_record_dir();
	/* SECURITY.md 15: the lock under which cgroup_setup() counts the
	 * running containers, held until our record is written. */
	if (flock(recdir, LOCK_EX) < 0)
		die_errno(TK_EXIT_FAIL, "cannot lock " TK_RUNDIR);
	clean_stale_records(recdir);
	if (record_alive(recdir, id))
		die(TK_EXIT_FAIL, "container %s is already running", id);
	policy_idmap(&map);
	cgroup_setup(&limits, id, recdir, record_alive);
	if (!userns_host)
		idmap_write(procfd, &map);
	cgroup_enter((pid_t)pid);
	/* Still the process pinned: its /proc directory answers only while
	 * it lives, so the pid moved above was not reused. */
	if (read_small(procfd, "stat", buf, sizeof(buf)) <= 0)
		die(TK_EXIT_FAIL, "start: process %u is gone", pid);
	/* G builds its root while we write the record (the lock on the
	 * record dir is held until we exit) and fork the reaper. */
	send_go();
	write_record(recdir, id, (pid_t)pid, tk_stat_starttime(buf));
	cgroup_start_reaper(TK_REAPER_FD);
	return 0;
}
