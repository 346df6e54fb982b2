/*
 * The protocol between the unprivileged tools (lib/, rt/) and tk-helper:
 * verbs, fixed descriptors, limits and exit codes. The only header the
 * helper shares with them (STYLE.md).
 *
 *   tk-helper start [--userns host] [LIMIT VALUE]... ID PID
 *   tk-helper start [--userns host] [LIMIT VALUE]... -
 *       LIMIT: --memory-max --memory-high --memory-min --memory-low
 *       --memory-swap-max (bytes), --cpu-max (microseconds per
 *       TK_CPU_PERIOD_US), --cpu-weight, --pids-max, --io-read-bps
 *       --io-write-bps (bytes per second, with --io-device MAJ:MIN),
 *       --cpuset-cpus LIST, --cgroups enabled; bounds below.
 *       fd TK_REAPER_FD: a unix socket of the caller's; with "-", the
 *       caller writes "ID PID\n" on it (EOF instead: the helper exits
 *       quietly). fd TK_GO_FD: optional, a pipe. PID is the first
 *       process of the caller's container ID (the runner's clone,
 *       rt/run.c), in a user namespace of the caller's that has no maps
 *       yet, waiting. Writes its uid/gid maps, makes the container's
 *       cgroup with its limits, moves PID in, writes one byte on
 *       TK_GO_FD, records PID under TK_RUNDIR and exits 0. With a
 *       cgroup, a reaper keeps the socket: when the caller shuts its end
 *       (or exits), the reaper removes the cgroup, sends 'o' if the
 *       memory limit killed a process ('-' if not) and exits.
 *
 *   run [--rm] [--notify] [--tty] [--init] [--userns host] [--net none|host]
 *       [--seccomp unconfined] [--hostname NAME]
 *       [--user UID[:GID]] [--workdir DIR] [--env K=V]...
 *       [LIMIT VALUE]... --layer HEX... ID -- ARGV...
 *       Not a verb of the helper: the runner's grammar (rt_run(), rt/run.c),
 *       which tk-run, tk-start, tk-monitor and tk-run -t call in their own
 *       process. fd TK_STORE_FD: the caller's store root. Runs container
 *       ID of that store in new namespaces and returns the payload's
 *       status. Layers are given bottom first; the limits go to start.
 *       --notify: fd TK_NOTIFY_FD is a unix socket of the caller's. One
 *       byte is sent on it: TK_NOTIFY_READY once the container's record
 *       is written and its payload executed, TK_NOTIFY_FAILED if it
 *       could not be started (the reason on stderr). EOF without a byte
 *       is a failure too. The container never holds the socket.
 *       --tty: the container's first process gets a new pty of its own
 *       (from its own devpts) as controlling terminal and stdio; its
 *       master is sent on fd TK_NOTIFY_FD (a unix socket) as SCM_RIGHTS
 *       with the byte TK_NOTIFY_TTY, before the payload is executed.
 *
 *   tk-helper join ID PID
 *       Moves PID, a process of the caller's, into the cgroups of the
 *       caller's running container ID (helper/join.c), for tk-exec, which
 *       joins the container's namespaces itself.
 *
 *   tk-helper idmap PID
 *       Writes the caller's id mapping (own id plus /etc/subuid and
 *       /etc/subgid ranges) into the fresh user namespace of the caller's
 *       process PID (what shadow's newuidmap/newgidmap do, in one step).
 */
#ifndef TK_PROTOCOL_H
#define TK_PROTOCOL_H
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define TK_STORE_FD 3
#define TK_REAPER_FD 3     /* start: the runner's socket */
#define TK_GO_FD 4         /* start: the pipe G waits on */
#define TK_NOTIFY_FD 4
#define TK_NOTIFY_READY 'R'
#define TK_NOTIFY_FAILED 'E'
#define TK_NOTIFY_TTY 'T'

/* Exit codes, as Docker and Podman use them. */
#define TK_EXIT_FAIL 125    /* tk itself failed */
#define TK_EXIT_NOEXEC 126  /* payload found but cannot be executed */
#define TK_EXIT_NOTFOUND 127 /* payload not found */

#define TK_ID_MAX 64          /* [a-z0-9][a-z0-9_.-]{0,63} */
#define TK_LAYER_HEX 64       /* sha256, lower-case hex */
#define TK_MAX_LAYERS 128
#define TK_MAX_ARGS 4096      /* helper argv bound (SECURITY.md rule 16) */
#define TK_MAX_ARGLEN 131072

/* Root-owned runtime records: TK_RUNDIR/<uid>/<container id>, one line
 * "<pid> <starttime>\n" naming the container's pid 1 and its start time in
 * clock ticks (field 22 of /proc/<pid>/stat), so a reused pid never passes
 * as the container. Written only by the helper. */
#define TK_RUNDIR "/run/tk"

/* Files inside a container directory of the store. */
#define TK_CT_UPPER "upper"
#define TK_CT_WORK "work"
#define TK_CT_EXIT "exit"       /* "<status>\n", written when the payload ends */
/* A --rm run's emptied directory, kept for the next run as tmp/spare-<n>,
 * n < TK_SPARES: upper and work empty, nothing else in it. */
#define TK_SPARES 4

/* Container ids and names, as both sides check them (SECURITY.md 16):
 * [a-z0-9][a-z0-9_.-]{0,63}, so never "." or "..", no '/', no newline. */
static inline bool
tk_valid_id(const char *s)
{
	size_t n = strnlen(s, TK_ID_MAX + 1);

	if (n == 0 || n > TK_ID_MAX)
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/* Hostnames the helper sets: [A-Za-z0-9][A-Za-z0-9.-]{0,63}. */
static inline bool
tk_valid_hostname(const char *s)
{
	size_t n = strnlen(s, 65);

	if (n == 0 || n > 64 || s[0] == '-' || s[0] == '.')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == n;
}

/* Field 22 (starttime) of the text of /proc/<pid>/stat; 0 if malformed.
 * The comm field may hold spaces and ')', so count from the last ')'. */
static inline unsigned long long
tk_stat_starttime(const char *stat)
{
	const char *p = strrchr(stat, ')');

	for (int i = 2; p && i < 22; i++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* Resource limits (helper/cgroup.c checks them again; lib/cgroup-spec.c turns
 * tk-run's flags into them). Sizes in bytes, CPU time in microseconds per
 * TK_CPU_PERIOD_US. */
#define TK_CPU_PERIOD_US 100000ULL
#define TK_CPUS_MAX 1024ULL                 /* --cpus up to this many CPUs */
#define TK_CPU_QUOTA_MIN 1000ULL            /* 1 ms per period: the kernel's floor */
#define TK_CPU_QUOTA_MAX (TK_CPUS_MAX * TK_CPU_PERIOD_US)
#define TK_CPU_WEIGHT_MAX 10000ULL          /* cgroup v2 cpu.weight: 1-10000 */
#define TK_PIDS_MAX 4194304ULL              /* PID_MAX_LIMIT */
#define TK_MEM_MIN_BYTES (1ULL << 20)       /* memory.max/high below 1M: nothing runs */
#define TK_BYTES_MAX (1ULL << 50)           /* 1 PiB: sizes and bytes per second */
#define TK_CPUSET_MAX 256
#define TK_CPU_ID_MAX 8191
#define TK_CT_OOM "oom"         /* present when the memory limit killed a process */

/* --cpuset-cpus: "0", "0-3", "0,2-3": decimal CPU numbers up to
 * TK_CPU_ID_MAX, ranges low-high, comma separated, no spaces. */
static inline bool
tk_valid_cpuset(const char *s)
{
	unsigned long lo = 0, v = 0;
	int digits = 0;
	bool range = false;

	if (strnlen(s, TK_CPUSET_MAX + 1) > TK_CPUSET_MAX)
		return false;
	for (const char *p = s;; p++) {
		if (*p >= '0' && *p <= '9') {
			/* no leading zero, no number past the bound */
			if ((digits++ && v == 0) || (v = v * 10 + (unsigned long)(*p - '0')) > TK_CPU_ID_MAX)
				return false;
		} else if (*p == '-' && digits && !range) {
			lo = v;
			range = true;
			v = digits = 0;
		} else if ((*p == ',' || !*p) && digits && (!range || lo <= v)) {
			if (!*p)
				return true;
			range = false;
			v = digits = 0;
		} else {
			return false;
		}
	}
}

#endif
