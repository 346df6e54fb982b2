/*
 * tk-run's resource limit flags. See cgroup-spec.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cgroup-spec.h"
#include "protocol.h"
#include "util.h"
#include "banned.h"

enum kind { SIZE, NUMBER, CPUS, PERCENT, CPUSET, DEVICE, MODE };

static const struct flag {
	const char *name;
	const char *helper;   /* the helper's option; NULL: not passed as is */
	enum kind kind;
	uint64_t min, max;
	int same_as;          /* an alias: index of the flag it stands for, or -1 */
} flags[] = {
	/* 0 */ { "memory-max", "--memory-max", SIZE, TK_MEM_MIN_BYTES, TK_BYTES_MAX, -1 },
	/* 1 */ { "memory-high", "--memory-high", SIZE, TK_MEM_MIN_BYTES, TK_BYTES_MAX, -1 },
	/* 2 */ { "memory-min", "--memory-min", SIZE, 0, TK_BYTES_MAX, -1 },
	/* 3 */ { "memory-low", "--memory-low", SIZE, 0, TK_BYTES_MAX, -1 },
	/* 4 */ { "memory-swap-max", "--memory-swap-max", SIZE, 0, TK_BYTES_MAX, -1 },
	/* 5 */ { "cpus", "--cpu-max", CPUS, TK_CPU_QUOTA_MIN, TK_CPU_QUOTA_MAX, -1 },
	/* 6 */ { "cpu-quota", "--cpu-max", PERCENT, 1, 100, -1 },
	/* 7 */ { "cpu-weight", "--cpu-weight", NUMBER, 1, TK_CPU_WEIGHT_MAX, -1 },
	/* 8 */ { "cpuset-cpus", "--cpuset-cpus", CPUSET, 0, 0, -1 },
	/* 9 */ { "io-read-bps", "--io-read-bps", SIZE, 1, TK_BYTES_MAX, -1 },
	/* 10 */ { "io-write-bps", "--io-write-bps", SIZE, 1, TK_BYTES_MAX, -1 },
	/* 11 */ { "io-device", "--io-device", DEVICE, 0, 0, -1 },
	/* 12 */ { "pids-max", "--pids-max", NUMBER, 1, TK_PIDS_MAX, -1 },
	/* 13 */ { "cgroups", "--cgroups", MODE, 0, 0, -1 },
	/* The seed's names. */
	{ "memmax", NULL, SIZE, 0, 0, 0 },
	{ "memhigh", NULL, SIZE, 0, 0, 1 },
	{ "memmin", NULL, SIZE, 0, 0, 2 },
	{ "cpuquota", NULL, PERCENT, 0, 0, 6 },
	{ "ioread", NULL, SIZE, 0, 0, 9 },
	{ "iowrite", NULL, SIZE, 0, 0, 10 },
};
#define NFLAGS (sizeof(flags) / sizeof(flags[0]))

struct option *
limits_options(const struct option *base)
{
	size_t n = 0;
	struct option *all;

	while (base[n].name)
		n++;
	all = xcalloc(n + NFLAGS + 1, sizeof(*all));
	memcpy(all, base, n * sizeof(*all));
	for (size_t i = 0; i < NFLAGS; i++)
		all[n + i] = (struct option){ flags[i].name, required_argument, NULL,
					      LIMIT_OPT_BASE + (int)i };
	return all;
}

static bool
digits(const char *s, size_t n)
{
	return n > 0 && strspn(s, "0123456789") >= n && !(s[0] == '0' && n > 1);
}

static bool
parse_u64(const char *s, size_t n, uint64_t *out)
{
	char buf[24];

	if (!digits(s, n) || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	errno = 0;
	*out = strtoull(buf, NULL, 10);
	return errno == 0;
}

static void
human(uint64_t v, char *buf, size_t n)
{
	static const char units[] = "BKMGTP";
	int u = 0;

	while (v >= 1024 && v % 1024 == 0 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, n, "%llu%c", (unsigned long long)v, units[u]);
	if (u == 0)
		buf[strlen(buf) - 1] = 0;
}

int
parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out, struct tk_err *err)
{
	size_t n = strlen(s);
	unsigned shift = 0;
	uint64_t v;
	char lo[32], hi[32];

	if (n > 0) {
		char c = (char)(s[n - 1] & ~0x20);
		const char *u = c ? strchr("BKMGT", c) : NULL;
		if (u) {
			shift = (unsigned)(u - "BKMGT") * 10;
			n--;
		}
	}
	human(min, lo, sizeof(lo));
	human(max, hi, sizeof(hi));
	if (!parse_u64(s, n, &v) || (shift && v > (max >> shift)) || (v << shift) < min ||
	    (v << shift) > max)
		return tk_err_set(err, "use a size from %s to %s: digits and B, K, M, G or T "
				  "(powers of 1024)", lo, hi);
	*out = v << shift;
	return 0;
}

/* "1.5" CPUs as microseconds per TK_CPU_PERIOD_US, at most 2 decimals. */
static bool
parse_cpus(const char *s, uint64_t *out)
{
	const char *dot = strchr(s, '.');
	size_t wl = dot ? (size_t)(dot - s) : strlen(s), fl = dot ? strlen(dot + 1) : 0;
	uint64_t whole, frac = 0;

	if (!parse_u64(s, wl, &whole) || whole > TK_CPUS_MAX || (dot && (fl < 1 || fl > 2)))
		return false;
	if (dot) {
		if (strspn(dot + 1, "0123456789") != fl)
			return false;
		frac = strtoull(dot + 1, NULL, 10) * (fl == 1 ? 10 : 1);
	}
	*out = whole * TK_CPU_PERIOD_US + frac * (TK_CPU_PERIOD_US / 100);
	return *out >= TK_CPU_QUOTA_MIN && *out <= TK_CPU_QUOTA_MAX;
}

/* MAJ:MIN, or a block device's path. */
static bool
parse_device(const char *s, unsigned *maj, unsigned *min)
{
	const char *colon = strchr(s, ':');
	uint64_t a, b;
	struct stat st;

	if (colon && parse_u64(s, colon - s, &a) && parse_u64(colon + 1, strlen(colon + 1), &b) &&
	    a <= 4095 && b <= 1048575) {
		*maj = (unsigned)a;
		*min = (unsigned)b;
		return true;
	}
	if (s[0] != '/' || stat(s, &st) < 0 || !S_ISBLK(st.st_mode))
		return false;
	*maj = major(st.st_rdev);
	*min = minor(st.st_rdev);
	return true;
}

static void
push(struct tk_limits *l, const char *opt, char *val)
{
	if (l->nargs + 2 > (int)(sizeof(l->args) / sizeof(l->args[0])))
		tk_die(125, "too many limits");
	l->args[l->nargs++] = (char *)opt;
	l->args[l->nargs++] = val;
}

void
limits_flag(struct tk_limits *l, int opt, const char *value)
{
	size_t i = (size_t)(opt - LIMIT_OPT_BASE);
	const struct flag *f, *alias;
	struct tk_err err;
	uint64_t v = 0;
	unsigned maj, min;
	char qbuf[96];

	if (i >= NFLAGS)
		tk_die(125, "bad limit option");
	alias = &flags[i];
	f = alias->same_as >= 0 ? &flags[alias->same_as] : alias;
	if (l->seen & (1u << (f - flags)))
		tk_die(125, "--%s given twice", alias->name);
	l->seen |= 1u << (f - flags);
	if ((l->seen & (1u << 5)) && (l->seen & (1u << 6)))
		tk_die(125, "--cpus and --cpu-quota (--cpuquota) both set the CPU limit: give one");
	tk_quote(value, qbuf, sizeof(qbuf));
	switch (f->kind) {
	case SIZE:
		if (parse_size(value, f->min, f->max, &v, &err) < 0)
			tk_die(125, "bad --%s '%s': %s", alias->name, qbuf, err.msg);
		break;
	case NUMBER:
		if (!parse_u64(value, strlen(value), &v) || v < f->min || v > f->max)
			tk_die(125, "bad --%s '%s': use a whole number from %llu to %llu", alias->name,
			       qbuf, (unsigned long long)f->min, (unsigned long long)f->max);
		break;
	case PERCENT:
		if (!parse_u64(value, strlen(value), &v) || v < 1 || v > 100)
			tk_die(125, "bad --%s '%s': use a percentage of one CPU from 1 to 100",
			       alias->name, qbuf);
		v *= TK_CPU_PERIOD_US / 100;
		break;
	case CPUS:
		if (!parse_cpus(value, &v))
			tk_die(125, "bad --%s '%s': use a number of CPUs from 0.01 to %llu, like 1.5",
			       alias->name, qbuf, TK_CPUS_MAX);
		break;
	case CPUSET:
		if (!tk_valid_cpuset(value))
			tk_die(125, "bad --%s '%s': use CPU numbers 0-%d as a list like 0-2,5",
			       alias->name, qbuf, TK_CPU_ID_MAX);
		push(l, f->helper, xstrdup(value));
		return;
	case MODE:   /* auto: a cgroup only for limits (and tk.conf caps) */
		if (strcmp(value, "enabled") && strcmp(value, "auto"))
			tk_die(125, "bad --%s '%s': use 'enabled' (a cgroup of its own even "
			       "without limits) or 'auto'", alias->name, qbuf);
		if (!strcmp(value, "enabled"))
			push(l, f->helper, xstrdup(value));
		return;
	case DEVICE:
		if (!parse_device(value, &maj, &min))
			tk_die(125, "bad --%s '%s': use MAJOR:MINOR or the path of a block device",
			       alias->name, qbuf);
		push(l, f->helper, xasprintf("%u:%u", maj, min));
		l->io_device = true;
		return;
	}
	if (f == &flags[9] || f == &flags[10])
		l->io = true;
	push(l, f->helper, xasprintf("%llu", (unsigned long long)v));
}

/* The whole disk of a partition: io limits take disks only. */
static void
whole_disk(unsigned *maj, unsigned *min)
{
	char path[96], buf[32];
	unsigned a, b;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition", *maj, *min);
	if (access(path, F_OK) < 0)
		return;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/../dev", *maj, *min);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = 0;
		if (sscanf(buf, "%u:%u", &a, &b) == 2) {
			*maj = a;
			*min = b;
		}
	}
}

void
limits_finish(struct tk_limits *l, int storefd)
{
	struct stat st;
	unsigned maj, min;

	if (!l->io || l->io_device)
		return;
	if (fstat(storefd, &st) < 0)
		tk_die(125, "cannot stat the store: %s", strerror(errno));
	maj = major(st.st_dev);
	min = minor(st.st_dev);
	if (maj == 0)
		tk_die(125, "the store is not on a block device (device %u:%u): "
		       "give the device to limit with --io-device", maj, min);
	whole_disk(&maj, &min);
	push(l, "--io-device", xasprintf("%u:%u", maj, min));
}
