/*
 * tk-stats: what running containers use, read from their cgroups: memory
 * now and its limit, CPU time, processes, bytes read and written.
 *
 * No privilege needed: a container's pid 1 is the caller's process, its
 * /proc/<pid>/cgroup names the container's cgroup in each hierarchy, and
 * cgroup statistics files are world-readable.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "container.h"
#include "store.h"
#include "util.h"
#include "banned.h"

static const char usage_text[] =
	"Usage: tk-stats [OPTIONS] [CONTAINER...]\n"
	"Show what running containers use (all running ones without arguments).\n"
	"\n"
	"  -n, --no-heading   no table heading\n"
	"  -o, --output json  one JSON object per line\n"
	"      --root DIR     the store (default: $TK_ROOT, ~/.local/share/tk)\n"
	"      --help         show this help\n"
	"\n"
	"Columns: CPU time in seconds, memory in use and its limit, processes and\n"
	"their limit, bytes read and written on block devices. -1 in JSON (and -\n"
	"in the table): not known on this cgroup layout, or no limit. A container\n"
	"started without limits has no cgroup of its own, and no figures.\n";

struct stats {
	long long cpu_usec, mem, mem_max, pids, pids_max, io_read, io_write;
};

/* A number from the first line of DIR/FILE; -1 when missing, "max" or too big. */
static long long
read_num(const char *dir, const char *file)
{
	char path[2048], buf[64];
	int fd;
	ssize_t n;
	unsigned long long v;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || buf[0] < '0' || buf[0] > '9')
		return -1;
	buf[n] = 0;
	v = strtoull(buf, NULL, 10);
	return v >= (1ULL << 62) ? -1 : (long long)v;
}

/* Sum the values after KEY (like "rbytes=" or " Read ") in DIR/FILE. */
static long long
sum_key(const char *dir, const char *file, const char *key)
{
	char path[2048];
	cleanup_free char *buf = NULL;
	long long total = -1;
	size_t kl = strlen(key);

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (!(buf = read_file_at(AT_FDCWD, path, 1 << 20, NULL, NULL)))
		return -1;
	for (char *p = buf; (p = strstr(p, key)); p += kl) {
		if (total < 0)
			total = 0;
		total += strtoll(p + kl, NULL, 10);
	}
	return total < 0 ? 0 : total;
}

static bool
is_cgroup2_root(void)
{
	struct statfs sfs;

	return statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

static bool
has_ctrl(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; *p; p += strcspn(p, ","), p += !!*p)
		if (strcspn(p, ",") == n && !strncmp(p, name, n))
			return true;
	return false;
}

/* Is CG (a path from /proc/PID/cgroup) the cgroup tk made for container
 * ID: <parent>/<uid>/<id>? A container started without limits has none of
 * its own, and the cgroup it sits in is its caller's. */
static bool
is_container_cgroup(const char *cg, const char *id)
{
	char tail[128];
	size_t n = strlen(cg), t;

	t = (size_t)snprintf(tail, sizeof(tail), "/%u/%s", (unsigned)getuid(), id);
	return n > t && !strcmp(cg + n - t, tail);
}

/* 0: read; 1: the container has no cgroup of its own; -1: not running. */
static int
read_stats(pid_t pid, const char *id, struct stats *s)
{
	char path[64], dir[2048];
	int found = 1;
	cleanup_free char *buf = NULL;
	bool v2 = is_cgroup2_root();
	char *line, *save = NULL;

	*s = (struct stats){ -1, -1, -1, -1, -1, -1, -1 };
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (!(buf = read_file_at(AT_FDCWD, path, 1 << 16, NULL, NULL)))
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		const char *ctrls;

		if (!c2 || strstr(c2 + 1, "/..") || !is_container_cgroup(c2 + 1, id))
			continue;
		*c2 = 0;
		ctrls = c1 + 1;
		found = 0;
		if (v2 && !strcmp(line, "0:")) {
			snprintf(dir, sizeof(dir), "/sys/fs/cgroup%s", c2 + 1);
			s->mem = read_num(dir, "memory.current");
			s->mem_max = read_num(dir, "memory.max");
			s->cpu_usec = sum_key(dir, "cpu.stat", "usage_usec ");
			s->pids = read_num(dir, "pids.current");
			s->pids_max = read_num(dir, "pids.max");
			s->io_read = sum_key(dir, "io.stat", "rbytes=");
			s->io_write = sum_key(dir, "io.stat", "wbytes=");
			continue;
		}
		if (v2 || !*ctrls || strchr(ctrls, '='))
			continue;
		snprintf(dir, sizeof(dir), "/sys/fs/cgroup/%s%s", ctrls, c2 + 1);
		if (has_ctrl(ctrls, "memory")) {
			s->mem = read_num(dir, "memory.usage_in_bytes");
			s->mem_max = read_num(dir, "memory.limit_in_bytes");
		}
		if (has_ctrl(ctrls, "cpuacct")) {
			long long ns = read_num(dir, "cpuacct.usage");
			s->cpu_usec = ns < 0 ? -1 : ns / 1000;
		}
		if (has_ctrl(ctrls, "pids")) {
			s->pids = read_num(dir, "pids.current");
			s->pids_max = read_num(dir, "pids.max");
		}
		if (has_ctrl(ctrls, "blkio")) {
			s->io_read = sum_key(dir, "blkio.throttle.io_service_bytes_recursive", " Read ");
			s->io_write = sum_key(dir, "blkio.throttle.io_service_bytes_recursive", " Write ");
		}
	}
	return found;
}

static void
human(long long b, char *buf, size_t n)
{
	const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	int i = 0;

	if (b < 0) {
		snprintf(buf, n, "-");
		return;
	}
	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(buf, n, i ? "%.4g%s" : "%.0f%s", v, u[i]);
}

static void
show(const struct tk_container *c, const struct stats *s, bool cgroup, bool json)
{
	char mem[32], max[32], rd[32], wr[32], pids[48], cpu[32];

	if (json) {
		json_t *o = json_pack("{s:s, s:s?, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
				      "id", c->id, "name", c->name, "cgroup", cgroup,
				      "cpu_usec", (json_int_t)s->cpu_usec,
				      "memory_bytes", (json_int_t)s->mem,
				      "memory_max", (json_int_t)s->mem_max,
				      "pids", (json_int_t)s->pids,
				      "pids_max", (json_int_t)s->pids_max,
				      "io_read_bytes", (json_int_t)s->io_read,
				      "io_write_bytes", (json_int_t)s->io_write);
		char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		if (t)
			puts(t);
		free(t);
		return;
	}
	human(s->mem, mem, sizeof(mem));
	human(s->mem_max, max, sizeof(max));
	human(s->io_read, rd, sizeof(rd));
	human(s->io_write, wr, sizeof(wr));
	if (s->cpu_usec < 0)
		snprintf(cpu, sizeof(cpu), "-");
	else
		snprintf(cpu, sizeof(cpu), "%.2f", s->cpu_usec / 1e6);
	if (s->pids_max < 0)
		snprintf(pids, sizeof(pids), "%lld", s->pids);
	else
		snprintf(pids, sizeof(pids), "%lld / %lld", s->pids, s->pids_max);
	if (!cgroup) {
		printf("%-12.12s  %-16.16s  (no cgroup: started without limits)\n", c->id,
		       c->name ? c->name : "");
		return;
	}
	printf("%-12.12s  %-16.16s  %8s  %10s / %-10s  %-14s  %s / %s\n", c->id,
	       c->name ? c->name : "", cpu, mem, max, pids, rd, wr);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-heading", no_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	struct tk_store st = { .fd = -1 };
	struct tk_container *cs = NULL;
	struct tk_err err;
	const char *root = NULL;
	bool noheading = false, json = false;
	size_t n = 0;
	int opt, status = 0;

	tk_prog = "tk-stats";
	opterr = 0;
	signal(SIGPIPE, SIG_DFL);
	while ((opt = getopt_long(argc, argv, "no:", opts, NULL)) != -1) {
		switch (opt) {
		case 'n': noheading = true; break;
		case 'o':
			if (strcmp(optarg, "json"))
				tk_usage_error("unknown output format '%s': only 'json'", optarg);
			json = true;
			break;
		case 'r': root = optarg; break;
		case 'H': return tk_print_help(usage_text);
		default: tk_usage_error("bad option '%s'", argv[optind - 1]);
		}
	}
	if (store_open(&st, root, true, &err) < 0)
		tk_die_err(1, &err);
	if (!json && !noheading)
		printf("%-12s  %-16s  %8s  %10s / %-10s  %-14s  %s\n", "CONTAINER ID", "NAME",
		       "CPU(s)", "MEM USAGE", "LIMIT", "PIDS", "IO READ / WRITE");
	if (optind == argc) {
		if (container_scan(&st, TK_ONLY_RUNNING, &cs, &n, &err) < 0)
			tk_die_err(1, &err);
		for (size_t i = 0; i < n; i++) {
			struct stats s;
			int r = cs[i].state == TK_RUNNING ? read_stats(cs[i].pid, cs[i].id, &s) : -1;
			if (r >= 0)
				show(&cs[i], &s, r == 0, json);
		}
		container_list_free(cs, n);
	}
	for (int i = optind; i < argc; i++) {
		struct tk_container c = { 0 };
		struct stats s;
		int r;
		if (container_resolve(&st, argv[i], &c, &err) < 0) {
			tk_warn("%s", err.msg);
			status = 1;
			continue;
		}
		r = c.state == TK_RUNNING ? read_stats(c.pid, c.id, &s) : -1;
		if (r < 0) {
			tk_warn("container '%s' is not running", argv[i]);
			status = 1;
		} else {
			show(&c, &s, r == 0, json);
		}
		container_free(&c);
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		tk_die(1, "write error: %s", strerror(errno));
	return status;
}
