/*
 * The container's cgroup: <parent>/<uid>/<id> in every hierarchy tk uses,
 * its limits, moving the container in, and removing it again.
 *
 * Why each privileged step is safe (SECURITY.md 28):
 *  - Hierarchies come from /proc/self/cgroup, opened under /sys/fs/cgroup
 *    without following symlinks and checked with fstatfs; every directory
 *    tk makes or uses below the parent must be root's and not group/world
 *    writable, so the caller cannot have prepared it.
 *  - Knob names are constants here (an allowlist by construction); values
 *    are numbers parsed here (base 10, whole string, per-knob bounds) and
 *    printed by us, or a cpuset list matching tk_valid_cpuset(). One open
 *    and one write per knob, by openat on the cgroup's dirfd.
 *  - The directories stay root's: nothing in the container (whose ids are
 *    the caller's) can write a knob, create a child or move a process; its
 *    cgroup namespace is rooted at its own cgroup.
 *  - The helper exits once the container is in its cgroup; a reaper,
 *    forked as root, holds only the <uid> directories, the oom counter
 *    and the runner's socket, and when that closes (the runner ended,
 *    however) removes the container's cgroup. The next run sweeps what a
 *    killed reaper left.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "helper.h"

#define CG_ROOT "/sys/fs/cgroup"
#define MAX_HIERS 8

/* Controllers tk uses, as bits, and their names by bit (v1's blkio is io). */
enum { C_MEMORY = 1, C_CPU = 2, C_CPUACCT = 4, C_PIDS = 8, C_IO = 16, C_CPUSET = 32 };
static const char *const ctrl_names[] = { "memory", "cpu", "cpuacct", "pids", "io", "cpuset" };
#define NCTRLS (sizeof(ctrl_names) / sizeof(ctrl_names[0]))

static const struct {
	const char *name;
	uint64_t min, max;
} limit_opts[CG_NUM_LIMITS] = {
	[CG_MEM_MAX] = { "--memory-max", TK_MEM_MIN_BYTES, TK_BYTES_MAX },
	[CG_MEM_HIGH] = { "--memory-high", TK_MEM_MIN_BYTES, TK_BYTES_MAX },
	[CG_MEM_MIN] = { "--memory-min", 0, TK_BYTES_MAX },
	[CG_MEM_LOW] = { "--memory-low", 0, TK_BYTES_MAX },
	[CG_SWAP_MAX] = { "--memory-swap-max", 0, TK_BYTES_MAX },
	[CG_CPU_QUOTA] = { "--cpu-max", TK_CPU_QUOTA_MIN, TK_CPU_QUOTA_MAX },
	[CG_CPU_WEIGHT] = { "--cpu-weight", 1, TK_CPU_WEIGHT_MAX },
	[CG_PIDS_MAX] = { "--pids-max", 1, TK_PIDS_MAX },
	[CG_IO_READ] = { "--io-read-bps", 1, TK_BYTES_MAX },
	[CG_IO_WRITE] = { "--io-write-bps", 1, TK_BYTES_MAX },
};

struct hier {
	unsigned ctrls;           /* C_* it carries (cgroup2: those it may enable) */
	char path[1024];          /* the caller's cgroup in it, without the leading '/' */
	int root, uid, ct;        /* hierarchy root, <parent>/<uid>, <parent>/<uid>/<id> */
};

static struct hier hiers[MAX_HIERS];
static int nhiers;
static bool v2, active;
static char ctname[TK_ID_MAX + 1];
static int oomfd = -1;

bool
parse_size(const char *s, uint64_t *out)
{
	char num[32];
	size_t n = strnlen(s, sizeof(num));
	const char *unit = n ? strchr("KMGT", s[n - 1]) : NULL;
	unsigned shift = unit && *unit ? 10 * (unsigned)(unit - "KMGT" + 1) : 0;

	if (n == 0 || n >= sizeof(num))
		return false;
	memcpy(num, s, n + 1);
	num[n - !!shift] = 0;
	if (!parse_u64(num, out) || *out > (TK_BYTES_MAX >> shift))
		return false;
	*out <<= shift;
	return true;
}

bool
cgroup_parse_opt(const char *a, const char *v, struct cg_limits *l)
{
	for (int i = 0; i < CG_NUM_LIMITS; i++) {
		if (strcmp(a, limit_opts[i].name))
			continue;
		if (l->set & (1u << i))
			die(2, "run: duplicate %s", a);
		if (!parse_u64(v, &l->val[i]) || l->val[i] < limit_opts[i].min ||
		    l->val[i] > limit_opts[i].max)
			die(2, "run: %s takes a number from %llu to %llu", a,
			    (unsigned long long)limit_opts[i].min,
			    (unsigned long long)limit_opts[i].max);
		l->set |= 1u << i;
		return true;
	}
	if (!strcmp(a, "--cpuset-cpus")) {
		if (l->cpuset[0] || !tk_valid_cpuset(v))
			die(2, "run: --cpuset-cpus takes one list like 0-2,5 (CPUs 0-%d)",
			    TK_CPU_ID_MAX);
		memcpy(l->cpuset, v, strlen(v) + 1);
		return true;
	}
	if (!strcmp(a, "--cgroups")) {
		if (l->always || strcmp(v, "enabled"))
			die(2, "run: --cgroups takes 'enabled', once");
		l->always = true;
		return true;
	}
	if (!strcmp(a, "--io-device")) {
		char buf[24], *colon = NULL;
		if (!l->io_dev && strnlen(v, sizeof(buf)) < sizeof(buf))
			colon = strchr(memcpy(buf, v, strlen(v) + 1), ':');
		if (!colon || (*colon = 0, !parse_u32(buf, 4095, &l->io_major)) ||
		    !parse_u32(colon + 1, 1048575, &l->io_minor))
			die(2, "run: --io-device takes MAJOR:MINOR (0-4095:0-1048575), once");
		l->io_dev = true;
		return true;
	}
	return false;
}

/* ---------------------------------------------------------------- failure */

/* Undo what cgroup_setup made so far, then die: bad input and refused
 * knobs leave no cgroup behind. */
static _Noreturn void __attribute__((format(printf, 2, 3)))
fail(int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (int i = 0; i < nhiers; i++)
		if (hiers[i].ct >= 0)
			unlinkat(hiers[i].uid, ctname, AT_REMOVEDIR);
	die(TK_EXIT_FAIL, "%s%s%s", msg, err ? ": " : "", err ? strerror(err) : "");
}

/* ---------------------------------------------------------------- layout */

static unsigned
ctrl_bits(const char *list)
{
	unsigned bits = 0;
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ", \n");
		for (size_t i = 0; i < NCTRLS; i++)
			if (strlen(ctrl_names[i]) == n && !strncmp(p, ctrl_names[i], n))
				bits |= 1u << i;
		if (n == 5 && !strncmp(p, "blkio", 5))
			bits |= C_IO;
		p += n;
		p += strspn(p, ", \n");
	}
	return bits;
}

static bool
is_cgroupfs(int fd, bool want_v2)
{
	struct statfs sfs;

	return fstatfs(fd, &sfs) == 0 &&
	       sfs.f_type == (want_v2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC);
}

static void
add_hier(int rootfd, unsigned ctrls, const char *path)
{
	struct hier *h = &hiers[nhiers];

	if (nhiers >= MAX_HIERS || path[0] != '/' || strlen(path) >= sizeof(h->path))
		die(TK_EXIT_FAIL, "cannot use the cgroup hierarchy: unexpected /proc/self/cgroup");
	h->ctrls = ctrls;
	memcpy(h->path, path + 1, strlen(path));
	h->root = rootfd;
	h->uid = h->ct = -1;
	nhiers++;
}

/*
 * Pure cgroup v2 when /sys/fs/cgroup is cgroup2; otherwise the v1
 * controllers mounted under it (hybrid: cgroup2 at unified with no
 * controllers, which tk leaves alone; or pure v1).
 */
static bool
detect_layout(void)
{
	char buf[4096], *line, *save = NULL;
	int top, fd;
	ssize_t n;
	struct statfs sfs;

	top = open(CG_ROOT, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (top < 0 || fstatfs(top, &sfs) < 0)
		return false;
	v2 = sfs.f_type == CGROUP2_SUPER_MAGIC;
	if (!v2 && sfs.f_type != TMPFS_MAGIC) {
		close(top);
		return false;
	}
	n = read_small(AT_FDCWD, "/proc/self/cgroup", buf, sizeof(buf));
	if (n <= 0 || n == sizeof(buf) - 1)
		die(TK_EXIT_FAIL, "cannot read /proc/self/cgroup");
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		unsigned bits;

		if (!c2)
			continue;
		*c2 = 0;
		if (v2 && !strcmp(line, "0:")) {
			add_hier(top, 0, c2 + 1);
			return true;
		}
		if (v2 || !(bits = ctrl_bits(c1 + 1)) || strchr(c1 + 1, '='))
			continue;
		/* Mounted elsewhere, a symlink, not cgroupfs: not used. */
		fd = openat(top, c1 + 1, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 && is_cgroupfs(fd, false))
			add_hier(fd, bits, c2 + 1);
		else if (fd >= 0)
			close(fd);
	}
	close(top);   /* v2 without a 0:: line: no cgroup, as without cgroupfs */
	return !v2 && nhiers > 0;
}

static struct hier *
hier_for(unsigned ctrl)
{
	for (int i = 0; i < nhiers; i++)
		if (hiers[i].ctrls & ctrl)
			return &hiers[i];
	return NULL;
}

/* ---------------------------------------------------------------- directories */

static void
check_ours(int fd, const char *what)
{
	struct stat st;

	if (!is_cgroupfs(fd, v2) || fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022))
		fail(0, "cgroup %s is not root's, or not a cgroup: refusing to use it", what);
}

static void inherit_cpuset(int parent, int child);
static void check_limits(const struct cg_limits *l);
static bool walking_cpuset;   /* a v1 cpuset hierarchy: new cgroups need CPUs */
static bool made;             /* open_or_make made the cgroup it returned */
static const struct cg_limits *asked;   /* cgroup_setup's request */

static int
open_or_make(int dirfd, const char *name, bool make, const char *what)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && make) {
		/* v2: what reaches the parent is known before the first
		 * cgroup is made; a limit it cannot hold leaves nothing. */
		if (v2)
			check_limits(asked);
		if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
			fail(errno, "cannot create cgroup %s", what);
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 && walking_cpuset)
			inherit_cpuset(dirfd, fd);
		made = fd >= 0;
	}
	if (fd < 0)
		fail(errno, "cannot open cgroup %s", what);
	return fd;
}

/*
 * cgroup v2: a controller reaches a cgroup only when its parent passes it
 * down (cgroup.subtree_control), and a cgroup with processes in it, other
 * than the root, can pass none of memory and io down (the kernel's "no
 * internal processes" rule). tk writes only in its own cgroups: those it
 * made, the cgroup parent tk.conf names, <uid>. The cgroups above them
 * (the root, the path to an absolute parent, the caller's own cgroup for
 * a relative one) are not tk's: what they pass down is what tk gets, and
 * gate[] names the last of them for the error message.
 */
static char gate[256] = "/";
static bool gate_is_callers;   /* the caller's own cgroup: a relative parent */
static const char *walk_under = "";   /* the caller's cgroup, for a relative parent */

static unsigned
passed_down(int fd)
{
	char buf[512];
	unsigned bits;

	if (read_small(fd, "cgroup.subtree_control", buf, sizeof(buf)) < 0)
		fail(errno, "cannot read cgroup.subtree_control on the way to the cgroup parent");
	bits = ctrl_bits(buf);
	return bits & C_CPU ? bits | C_CPUACCT : bits;   /* cpu.stat: tk-stats' CPU time */
}

static void
set_gate(const char *under, const char *path, size_t len, bool callers)
{
	snprintf(gate, sizeof(gate), "/%s%s%.*s", under, under[0] && len ? "/" : "", (int)len, path);
	gate_is_callers = callers;
}

/* Pass on what reached H, in a cgroup of tk's: only what is missing, and
 * never in a cgroup with processes (there the kernel refuses memory and
 * io, but takes cpu and pids and makes the cgroup threaded). */
static void
pass_down(int fd, const struct hier *h)
{
	char want[64] = "", procs[16];
	unsigned have = passed_down(fd);
	int sc;

	for (size_t i = 0; i < NCTRLS; i++)   /* cpuacct: v1 only; cpu.stat on v2 */
		if ((1u << i) != C_CPUACCT && (h->ctrls & (1u << i)) && !(have & (1u << i)))
			snprintf(want + strlen(want), sizeof(want) - strlen(want), "+%s ",
				 ctrl_names[i]);
	if (!want[0])
		return;
	if (read_small(fd, "cgroup.procs", procs, sizeof(procs)) != 0)
		fail(0, "the cgroup parent in " TK_SYSCONFDIR "/tk/tk.conf holds processes: "
		     "cgroup v2 lets it pass no controller down; name an empty one");
	sc = openat(fd, "cgroup.subtree_control", O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (sc < 0 || write(sc, want, strlen(want)) != (ssize_t)strlen(want))
		fail(errno, "cannot enable the cgroup controllers %sbelow the cgroup parent", want);
	close(sc);
}

/* Walk PATH beneath DIRFD. With MK, make what is missing, check it is ours
 * and (v2) pass controllers down (above); without, the components must
 * exist (the caller's own cgroup, whoever made it). */
static int
walk(int dirfd, const char *path, struct hier *mk)
{
	char buf[1024], *comp, *save = NULL;
	int cur = dup(dirfd);

	if (cur < 0 || strlen(path) >= sizeof(buf))
		fail(errno, "cannot open cgroup '%s'", path);
	memcpy(buf, path, strlen(path) + 1);
	for (comp = strtok_r(buf, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		size_t end = (size_t)(comp - buf) + strlen(comp);
		int next;

		if (!strcmp(comp, ".") || !strcmp(comp, ".."))
			fail(0, "the caller's cgroup '%s' is outside its cgroup namespace", path);
		made = false;
		next = open_or_make(cur, comp, mk, path);
		close(cur);
		cur = next;
		if (!mk)
			continue;
		check_ours(cur, path);
		if (v2 && (made || !path[end]))   /* made now, or the parent itself */
			pass_down(cur, mk);
		else if (v2) {
			mk->ctrls &= passed_down(cur);
			set_gate(walk_under, path, end, false);
		}
	}
	return cur;
}

/* <parent>/<uid> in hierarchy H, made if missing. */
static void
open_uid_dir(struct hier *h)
{
	const char *parent = policy.cgroup_parent;
	char uidbuf[16];
	int base, from;

	walking_cpuset = !v2 && (h->ctrls & C_CPUSET);
	if (parent[0] == '/') {
		if (v2)
			h->ctrls = passed_down(h->root);
		walk_under = "";
		base = walk(h->root, parent + 1, h);
	} else {
		from = walk(h->root, h->path, NULL);
		if (v2) {
			h->ctrls = passed_down(from);
			set_gate(h->path, "", 0, h->path[0] != 0);
		}
		walk_under = h->path;
		base = walk(from, parent, h);
		close(from);
	}
	snprintf(uidbuf, sizeof(uidbuf), "%u", (unsigned)caller.uid);
	h->uid = open_or_make(base, uidbuf, true, uidbuf);
	check_ours(h->uid, uidbuf);
	if (v2)
		pass_down(h->uid, h);
	close(base);
}

static void __attribute__((format(printf, 3, 4)))
put(int dirfd, const char *knob, const char *fmt, ...)
{
	char val[128];
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	n = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	fd = openat(dirfd, knob, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		fail(errno, "cannot open cgroup knob %s", knob);
	if (write(fd, val, n) != n)
		fail(errno, "cgroup knob %s refused '%s'", knob, val);
	close(fd);
}

/* ---------------------------------------------------------------- limits */

/* WHAT (a flag, or a tk.conf key) needs controller BIT: refused when no
 * hierarchy tk uses has it, saying where it stops. */
static void
need_ctrl(const char *what, unsigned bit)
{
	const char *name = !v2 && bit == C_IO ? "blkio" : ctrl_names[__builtin_ctz(bit)];

	if (hier_for(bit))
		return;
	if (!v2)
		fail(0, "%s: no cgroup v1 hierarchy has the %s controller", what, name);
	if (gate_is_callers)
		fail(0, "%s: cgroup v2 passes no %s controller below your cgroup %s, as it holds "
		     "processes; the fix: an absolute cgroup-parent in " TK_SYSCONFDIR "/tk/tk.conf, "
		     "such as cgroup-parent = /tk", what, name, gate);
	fail(0, "%s: cgroup %s does not pass the %s controller down (cgroup v2: its "
	     "cgroup.subtree_control); the fix: enable it there, or another cgroup-parent in "
	     TK_SYSCONFDIR "/tk/tk.conf", what, gate, name);
}

/* What each limit and cap needs, refused before anything is created. */
static void
check_limits(const struct cg_limits *l)
{
	static const unsigned need[CG_NUM_LIMITS] = {
		[CG_MEM_MAX] = C_MEMORY, [CG_MEM_HIGH] = C_MEMORY, [CG_MEM_MIN] = C_MEMORY,
		[CG_MEM_LOW] = C_MEMORY, [CG_SWAP_MAX] = C_MEMORY, [CG_CPU_QUOTA] = C_CPU,
		[CG_CPU_WEIGHT] = C_CPU, [CG_PIDS_MAX] = C_PIDS, [CG_IO_READ] = C_IO,
		[CG_IO_WRITE] = C_IO,
	};

	for (int i = 0; i < CG_NUM_LIMITS; i++)
		if (l->set & (1u << i))
			need_ctrl(limit_opts[i].name, need[i]);
	if (l->cpuset[0])
		need_ctrl("--cpuset-cpus", C_CPUSET);
	/* A cap that cannot be applied is never skipped. */
	if (!caller.root && policy.max_memory)
		need_ctrl("max-memory in " TK_SYSCONFDIR "/tk/tk.conf", C_MEMORY);
	if (!caller.root && policy.max_cpu_quota)
		need_ctrl("max-cpus in " TK_SYSCONFDIR "/tk/tk.conf", C_CPU);
	if (!caller.root && policy.max_pids)
		need_ctrl("max-pids in " TK_SYSCONFDIR "/tk/tk.conf", C_PIDS);
	if ((l->set & ((1u << CG_IO_READ) | (1u << CG_IO_WRITE))) && !l->io_dev)
		die(2, "run: --io-read-bps and --io-write-bps need --io-device");
	for (int i = CG_MEM_HIGH; !v2 && i <= CG_MEM_LOW; i++)
		if (l->set & (1u << i))
			fail(0, "%s has no equivalent on cgroup v1 (this machine's layout): "
			     "v1 has no memory.high, memory.min or memory.low", limit_opts[i].name);
	if (!v2 && (l->set & (1u << CG_SWAP_MAX)) && !(l->set & (1u << CG_MEM_MAX)))
		fail(0, "--memory-swap-max needs --memory-max on cgroup v1 "
		     "(v1 limits memory plus swap together)");
	if (caller.root)
		return;
	if (policy.max_memory && (l->val[CG_MEM_MAX] > policy.max_memory ||
				  l->val[CG_MEM_HIGH] > policy.max_memory))
		fail(0, "the memory limit asked for is over max-memory in "
		     TK_SYSCONFDIR "/tk/tk.conf (%llu bytes)", (unsigned long long)policy.max_memory);
	if (policy.max_cpu_quota && l->val[CG_CPU_QUOTA] > policy.max_cpu_quota)
		fail(0, "the CPU limit asked for is over max-cpus in " TK_SYSCONFDIR "/tk/tk.conf "
		     "(%llu.%02llu CPUs)", (unsigned long long)(policy.max_cpu_quota / TK_CPU_PERIOD_US),
		     (unsigned long long)(policy.max_cpu_quota % TK_CPU_PERIOD_US / 1000));
	if (policy.max_pids && l->val[CG_PIDS_MAX] > policy.max_pids)
		fail(0, "--pids-max is over max-pids in " TK_SYSCONFDIR "/tk/tk.conf (%llu)",
		     (unsigned long long)policy.max_pids);
}

/* tk.conf's per-user caps hold for all of a user's containers together:
 * they are the limits of <parent>/<uid>. */
static void
apply_caps(void)
{
	struct hier *h;

	if (caller.root)
		return;
	if (policy.max_memory && (h = hier_for(C_MEMORY)))
		put(h->uid, v2 ? "memory.max" : "memory.limit_in_bytes", "%llu",
		    (unsigned long long)policy.max_memory);
	if (policy.max_pids && (h = hier_for(C_PIDS)))
		put(h->uid, "pids.max", "%llu", (unsigned long long)policy.max_pids);
	/* Per TK_CPU_PERIOD_US, the kernel's default period on v1 and v2. */
	if (policy.max_cpu_quota && (h = hier_for(C_CPU)))
		put(h->uid, v2 ? "cpu.max" : "cpu.cfs_quota_us", "%llu%s",
		    (unsigned long long)policy.max_cpu_quota, v2 ? " 100000" : "");
}

static void
write_limits_v2(const struct cg_limits *l, int ct)
{
	static const char *const knob[CG_NUM_LIMITS] = {
		[CG_MEM_MAX] = "memory.max", [CG_MEM_HIGH] = "memory.high",
		[CG_MEM_MIN] = "memory.min", [CG_MEM_LOW] = "memory.low",
		[CG_SWAP_MAX] = "memory.swap.max", [CG_CPU_WEIGHT] = "cpu.weight",
		[CG_PIDS_MAX] = "pids.max",
	};
	char rd[24] = "max", wr[24] = "max";

	for (int i = 0; i < CG_NUM_LIMITS; i++)
		if ((l->set & (1u << i)) && knob[i])
			put(ct, knob[i], "%llu", (unsigned long long)l->val[i]);
	if (l->set & (1u << CG_CPU_QUOTA))
		put(ct, "cpu.max", "%llu 100000", (unsigned long long)l->val[CG_CPU_QUOTA]);
	if (l->cpuset[0])
		put(ct, "cpuset.cpus", "%s", l->cpuset);
	if (l->set & (1u << CG_IO_READ))
		snprintf(rd, sizeof(rd), "%llu", (unsigned long long)l->val[CG_IO_READ]);
	if (l->set & (1u << CG_IO_WRITE))
		snprintf(wr, sizeof(wr), "%llu", (unsigned long long)l->val[CG_IO_WRITE]);
	if (l->set & ((1u << CG_IO_READ) | (1u << CG_IO_WRITE)))
		put(ct, "io.max", "%u:%u rbps=%s wbps=%s", l->io_major, l->io_minor, rd, wr);
}

/* v1 cpuset: a new cgroup has no CPUs and no memory nodes until given
 * some; take the parent's. */
static void
inherit_cpuset(int parent, int child)
{
	char buf[TK_CPUSET_MAX * 4];

	for (int k = 0; k < 2; k++) {
		const char *knob = k ? "cpuset.mems" : "cpuset.cpus";
		if (read_small(parent, knob, buf, sizeof(buf)) < 0)
			fail(errno, "cannot read %s", knob);
		buf[strcspn(buf, "\n")] = 0;
		put(child, knob, "%s", buf);
	}
}

static void
write_limits_v1(const struct cg_limits *l)
{
	const uint64_t *v = l->val;
	struct hier *h;

	if ((h = hier_for(C_MEMORY)) && (l->set & (1u << CG_MEM_MAX))) {
		put(h->ct, "memory.limit_in_bytes", "%llu", (unsigned long long)v[CG_MEM_MAX]);
		if (l->set & (1u << CG_SWAP_MAX))
			put(h->ct, "memory.memsw.limit_in_bytes", "%llu",
			    (unsigned long long)(v[CG_MEM_MAX] + v[CG_SWAP_MAX]));
	}
	if ((h = hier_for(C_PIDS)) && (l->set & (1u << CG_PIDS_MAX)))
		put(h->ct, "pids.max", "%llu", (unsigned long long)v[CG_PIDS_MAX]);
	if ((h = hier_for(C_CPU))) {
		if (l->set & (1u << CG_CPU_QUOTA))   /* the default period: TK_CPU_PERIOD_US */
			put(h->ct, "cpu.cfs_quota_us", "%llu", (unsigned long long)v[CG_CPU_QUOTA]);
		/* cpu.weight 1-10000 (100 the default) onto cpu.shares 2-262144,
		 * the inverse of the conversion runc and the kernel docs use. */
		if (l->set & (1u << CG_CPU_WEIGHT))
			put(h->ct, "cpu.shares", "%llu",
			    2 + ((unsigned long long)(v[CG_CPU_WEIGHT] - 1) * 262142) / 9999);
	}
	for (int i = CG_IO_READ; i <= CG_IO_WRITE && (h = hier_for(C_IO)); i++)
		if (l->set & (1u << i))
			put(h->ct, i == CG_IO_READ ? "blkio.throttle.read_bps_device" :
			    "blkio.throttle.write_bps_device", "%u:%u %llu", l->io_major,
			    l->io_minor, (unsigned long long)v[i]);
	if (l->cpuset[0] && (h = hier_for(C_CPUSET)))
		put(h->ct, "cpuset.cpus", "%s", l->cpuset);
}

/* ---------------------------------------------------------------- life cycle */

/* Empty cgroups of this caller whose container is not running: leftovers
 * of a reaper that was killed. A cgroup with processes is never removed
 * (rmdir refuses), and the record dir lock keeps a starting run's fresh
 * cgroup from being taken for one. */
static DIR *
scan(int dirfd)
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d)
		die_errno(TK_EXIT_FAIL, "cannot read a directory");
	rewinddir(d);   /* a dup shares the offset, which an earlier scan moved */
	return d;
}

static void
sweep(struct hier *h, int recdir, bool (*alive)(int, const char *))
{
	DIR *d = scan(h->uid);
	struct dirent *de;

	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && tk_valid_id(de->d_name) && !alive(recdir, de->d_name))
			unlinkat(h->uid, de->d_name, AT_REMOVEDIR);
	closedir(d);
}

/* SECURITY.md 15: max-containers, counted from the live records under the
 * lock on the record directory (root's), held until our record is
 * written. */
static void
check_container_quota(const char *id, int recdir, bool (*alive)(int, const char *))
{
	DIR *d;
	struct dirent *de;
	uint64_t n = 0;

	if (!policy.max_containers || caller.root)
		return;
	d = scan(recdir);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && strcmp(de->d_name, id) && alive(recdir, de->d_name))
			n++;
	closedir(d);
	if (n >= policy.max_containers)
		die(TK_EXIT_FAIL, "you have %llu running containers, the most that "
		    TK_SYSCONFDIR "/tk/tk.conf allows (max-containers)", (unsigned long long)n);
}

void
cgroup_setup(const struct cg_limits *l, const char *id, int recdir,
	     bool (*alive)(int recdir, const char *id))
{
	unsigned want;
	struct hier *h;

	check_container_quota(id, recdir, alive);
	memcpy(ctname, id, strlen(id) + 1);
	/* Only a container with a limit, a caller under tk.conf's caps, or
	 * --cgroups enabled gets a cgroup: as with bubblewrap, the others run
	 * in the caller's own, and start without the cost of moving between
	 * cgroups and of the reaper. The pid namespace ends them with pid 1. */
	if (!l->set && !l->cpuset[0] && !l->always && (caller.root || (!policy.max_memory &&
	    !policy.max_cpu_quota && !policy.max_pids)))
		return;
	if (!detect_layout())   /* no cgroup file system: a chroot, a container */
		die(TK_EXIT_FAIL, "cannot set limits: no cgroup file system at " CG_ROOT);
	if (!v2)
		check_limits(l);
	/* v1: the hierarchies that hold a limit or an account tk-stats
	 * shows; cpuset only when asked for. */
	want = C_MEMORY | C_CPU | C_CPUACCT | C_PIDS | C_IO | (l->cpuset[0] ? C_CPUSET : 0);
	asked = l;
	for (h = hiers; h < hiers + nhiers; h++)
		if (v2 || (h->ctrls & want)) {
			open_uid_dir(h);
			sweep(h, recdir, alive);
		}
	if (v2)
		check_limits(l);
	apply_caps();
	for (h = hiers; h < hiers + nhiers; h++) {
		if (h->uid < 0)
			continue;
		/* A leftover of a killed run is empty, so it goes. */
		if (mkdirat(h->uid, id, 0755) < 0 && (errno != EEXIST ||
		    unlinkat(h->uid, id, AT_REMOVEDIR) < 0 || mkdirat(h->uid, id, 0755) < 0))
			fail(errno, "cannot create the cgroup of container %s", id);
		h->ct = openat(h->uid, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (h->ct < 0)
			fail(errno, "cannot open the cgroup of container %s", id);
		check_ours(h->ct, id);
		if (!v2 && (h->ctrls & C_CPUSET))
			inherit_cpuset(h->uid, h->ct);
	}
	if (v2)
		write_limits_v2(l, hiers[0].ct);
	else
		write_limits_v1(l);
	if ((h = hier_for(C_MEMORY)) && h->ct >= 0)
		oomfd = openat(h->ct, v2 ? "memory.events" : "memory.oom_control",
			       O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	active = true;
}

void
cgroup_enter(pid_t pid)
{
	for (int i = 0; active && i < nhiers; i++)
		if (hiers[i].ct >= 0)
			put(hiers[i].ct, "cgroup.procs", "%d", (int)pid);
}

static bool
cgroup_oom_killed(void)
{
	char buf[1024], *p;
	ssize_t n;

	if (oomfd < 0 || (n = pread(oomfd, buf, sizeof(buf) - 1, 0)) <= 0)
		return false;
	buf[n] = 0;
	p = strstr(buf, "oom_kill ");
	return p && (p == buf || p[-1] == '\n') && strtoull(p + 9, NULL, 10) > 0;
}

/* The reaper: root, in a session of its own (no terminal signal reaches
 * it), holding the <uid> directories, the oom counter and SOCK, the
 * runner's socket; stdio on /dev/null. When the runner shuts its end (G
 * ended) or dies, it removes the container's cgroup and answers 'o' if
 * the memory limit killed a process, '-' if not. */
static _Noreturn void
reaper_main(int sock)
{
	char c;

	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		_exit(TK_EXIT_FAIL);
	setsid();
	for (int fd = 0; fd < 256; fd++) {   /* the helper's are all below */
		bool keep = fd == sock || fd == oomfd;
		for (int i = 0; i < nhiers; i++)
			keep |= fd == hiers[i].uid;
		if (!keep)
			close(fd);
	}
	close_range(256, ~0U, 0);
	for (int fd = 0; fd <= 2; fd++)   /* the lowest free: fd itself */
		if (open("/dev/null", O_RDWR) != fd)
			break;   /* stdio stays closed: we write nothing there */
	while (read(sock, &c, 1) < 0 && errno == EINTR)
		;
	c = cgroup_oom_killed() ? 'o' : '-';
	for (int i = 0; i < nhiers; i++) {
		/* The container's last process may still be on its way out. */
		for (int tries = 0; hiers[i].uid >= 0 && tries < 500; tries++) {
			struct timespec ts = { 0, 2000000 };
			if (unlinkat(hiers[i].uid, ctname, AT_REMOVEDIR) == 0 || errno != EBUSY)
				break;
			nanosleep(&ts, NULL);
		}
	}
	(void)!send(sock, &c, 1, MSG_NOSIGNAL);
	_exit(0);
}

void
cgroup_start_reaper(int sock)
{
	pid_t pid;

	if (!active)
		return;
	pid = fork();
	if (pid < 0)
		die_errno(TK_EXIT_FAIL, "cannot fork");
	if (pid == 0)
		reaper_main(sock);
}

/*
 * join: move WHO (pinned by the caller) into the cgroups of container ID,
 * whose pid 1 (pinned too) is PID: in each hierarchy, the cgroup
 * /proc/PID/cgroup names, when it is tk's <parent>/<uid>/<id> for this
 * caller and container and root's. Nothing in the container can have
 * moved its pid 1 elsewhere (the cgroups are root's, SECURITY.md attack
 * 24); a hierarchy where the container has no cgroup of its own is left
 * alone, as run left it.
 */
void
cgroup_join(const char *id, pid_t pid, pid_t who)
{
	char path[64], buf[4096], tail[96], *line, *save = NULL;
	ssize_t n;

	if (!detect_layout())
		return;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	n = read_small(AT_FDCWD, path, buf, sizeof(buf));
	if (n <= 0 || n == sizeof(buf) - 1)
		die(TK_EXIT_FAIL, "cannot read the cgroups of container %s", id);
	snprintf(tail, sizeof(tail), "/%u/%s", (unsigned)caller.uid, id);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *cg;
		size_t len;
		struct hier *h = NULL;
		int ct;

		if (!c2)
			continue;
		*c2 = 0;
		cg = c2 + 1;
		len = strlen(cg);
		if (len <= strlen(tail) || strcmp(cg + len - strlen(tail), tail))
			continue;   /* not a cgroup of tk's for this container */
		for (int i = 0; i < nhiers && !h; i++)
			if (v2 ? !strcmp(line, "0:") : ctrl_bits(c1 + 1) == hiers[i].ctrls)
				h = &hiers[i];
		if (!h)
			continue;
		ct = walk(h->root, cg + 1, NULL);
		check_ours(ct, id);
		put(ct, "cgroup.procs", "%d", (int)who);
		close(ct);
	}
}
