/*
 * The join verb, for tk-exec: "join ID PID" moves PID, a process of the
 * caller's, into the cgroups of the caller's running container ID, so
 * that what tk-exec starts there counts against the container's limits.
 * The rest of joining a container (its namespaces, the payload's ids,
 * seccomp) tk-exec does itself, with the caller's own credentials: the
 * caller owns the container's user namespace, so the kernel lets it, and
 * would refuse it anyone else's whatever we did.
 *
 *  1. Read the root-owned record /run/tk/<caller uid>/<ID> (the directory
 *     is the caller's, so a record there names the caller's container; "not
 *     running", "not yours" and "no such container" are one message,
 *     SECURITY.md 14) and pin the recorded pid: a pidfd, its start time
 *     checked once pinned, not a zombie.
 *  2. Pin PID: the caller's in every uid (idmap.c).
 *  3. Into each of the container's tk cgroups (cgroup.c), found from the
 *     pinned container process; then PID's /proc directory read once more:
 *     the pid written was still the pinned process.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helper.h"

static _Noreturn void
not_running(const char *id)
{
	die(TK_EXIT_FAIL, "container %s is not running", id);
}

int
verb_join(int argc, char **argv)
{
	char buf[64];
	unsigned long long want;
	const char *id = argc == 3 ? argv[1] : NULL;
	uint32_t who;
	int dir, pidfd, pid, procfd;
	ssize_t n;
	bool zombie = true;

	if (!id || !tk_valid_id(id) || !parse_u32(argv[2], 1U << 22, &who) || who < 2)
		die(2, "usage: tk-helper join ID PID");
	/* Phase 1. */
	dir = open_record_dir();
	n = read_small(dir, id, buf, sizeof(buf));
	close(dir);
	if (n <= 0 || sscanf(buf, "%d %llu", &pid, &want) != 2 || pid <= 1)
		not_running(id);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0 || proc_starttime(pid, &zombie) != want || zombie)
		not_running(id);
	/* Phase 2. */
	procfd = pin_caller_process("join", who);
	if (check_only)
		check_allowed("join container %s (pid %d): process %u into its cgroups", id,
			      pid, who);
	/* Phase 3. */
	cgroup_join(id, pid, (pid_t)who);
	if (read_small(procfd, "stat", buf, sizeof(buf)) <= 0)
		die(TK_EXIT_FAIL, "join: process %u ended while it was moved", who);
	close(pidfd);
	return 0;
}
