/*
 * Who is asking, what the admin allows, and which ids the caller may map.
 *
 * SECURITY.md 11-13 and 25. The caller is the kernel's real uid; in sudo
 * mode (real uid 0 and SUDO_UID set by sudo) it is SUDO_UID/SUDO_GID,
 * checked as numbers. Membership of the tk group is checked here in code
 * as well as by the file mode, so a helper made 4755 by mistake still
 * refuses non-members (attack 8).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <nss.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper.h"

struct caller caller;
/* Without tk.conf: containers nest under the caller's own cgroup. */
struct tk_policy policy = { .cgroup_parent = "tk" };

static char sudo_uid[16], sudo_gid[16];
static bool sudo_mode;
static char group_name[64] = "tk";

#define CONF_DIR TK_SYSCONFDIR "/tk"
#define CONF_FILE "tk.conf"
#define CONF_MAX 65536

void
policy_identify_caller(void)
{
	const char *u, *g;

	caller.uid = getuid();
	caller.gid = getgid();
	if (caller.uid != 0)
		return;
	u = getenv("SUDO_UID");
	g = getenv("SUDO_GID");
	if (!u && !g) {
		caller.root = true;
		return;
	}
	/* Copy now: the environment is cleared right after. Too long means
	 * not a number; parse_u32 rejects it below. */
	snprintf(sudo_uid, sizeof(sudo_uid), "%s", u ? u : "");
	snprintf(sudo_gid, sizeof(sudo_gid), "%s", g ? g : "");
	sudo_mode = true;
}

/* The caller must be in the tk group: by the kernel's view of its groups
 * in setuid mode, by /etc/group in sudo mode (sudo gave us root's). */
static void
check_member(void)
{
	struct passwd *pw;
	struct group *gr;
	gid_t *groups;
	int n;

	/* Root needs no membership: no group lookup on its start-up path. */
	if (caller.root)
		return;
	/* The helper is static: names come from /etc/passwd and /etc/group,
	 * never from an NSS module loaded into a setuid process. */
	if (__nss_configure_lookup("passwd", "files") || __nss_configure_lookup("group", "files") ||
	    __nss_configure_lookup("initgroups", "files"))
		die(TK_EXIT_FAIL, "cannot restrict name lookups to the local files");
	/* The login name, for /etc/subuid lines by name. */
	pw = getpwuid(caller.uid);
	if (pw && strlen(pw->pw_name) < sizeof(caller.name))
		memcpy(caller.name, pw->pw_name, strlen(pw->pw_name) + 1);
	gr = getgrnam(group_name);
	if (!gr)
		die_denied("group '%s' does not exist", group_name);
	/* On the heap: NGROUPS_MAX ids are 256 KiB, and a stack array that
	 * size costs a page fault per page on every start. */
	groups = malloc((NGROUPS_MAX + 1) * sizeof(*groups));
	if (!groups)
		die(TK_EXIT_FAIL, "out of memory");
	if (sudo_mode) {
		n = NGROUPS_MAX + 1;
		if (!pw || getgrouplist(pw->pw_name, caller.gid, groups, &n) < 0)
			die_denied("cannot read groups of uid %u", (unsigned)caller.uid);
	} else {
		n = getgroups(NGROUPS_MAX + 1, groups);
		if (n < 0)
			die_errno(TK_EXIT_FAIL, "cannot read groups");
	}
	for (int i = 0; i < n; i++)
		if (groups[i] == gr->gr_gid)
			n = -1;
	free(groups);
	if (n < 0 || caller.gid == gr->gr_gid)
		return;
	die_denied("not a member of group '%s'", group_name);
}

/* A root-owned directory or file that only root may change. */
static void
check_root_owned(int fd, const char *what)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		die_errno(TK_EXIT_FAIL, "cannot stat %s", what);
	if (st.st_uid != 0 || (st.st_mode & 022))
		die(TK_EXIT_FAIL, "%s must be owned by root and not group or world writable", what);
}

/* A cgroup parent: "/a/b" (from the hierarchy's root) or "a/b" (below
 * the caller's own cgroup); components [A-Za-z0-9_.-], never "." or "..". */
static bool
valid_cgroup_parent(const char *v)
{
	const char *p = v[0] == '/' ? v + 1 : v;
	size_t n = strlen(p);

	if (n == 0 || strlen(v) >= sizeof(policy.cgroup_parent) || p[n - 1] == '/' ||
	    strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/") != n)
		return false;
	for (const char *c = p; *c; c += strcspn(c, "/"), c += !!*c) {
		size_t k = strcspn(c, "/");
		if (k == 0 || (k == 1 && c[0] == '.') || (k == 2 && c[0] == '.' && c[1] == '.'))
			return false;
	}
	return true;
}

/* "N" or "N.NN" CPUs as microseconds per TK_CPU_PERIOD_US. */
static bool
parse_cpus(const char *v, uint64_t *out)
{
	char buf[16], *dot;
	uint32_t whole, frac = 0;
	size_t fl;

	if (strlen(v) >= sizeof(buf))
		return false;
	memcpy(buf, v, strlen(v) + 1);
	if ((dot = strchr(buf, '.')))
		*dot++ = 0;
	fl = dot ? strlen(dot) : 0;
	if (!parse_u32(buf, TK_CPUS_MAX, &whole) || (dot && (fl < 1 || fl > 2 ||
	    strspn(dot, "0123456789") != fl)))
		return false;
	frac = dot ? (uint32_t)strtoul(dot, NULL, 10) * (fl == 1 ? 10 : 1) : 0;
	*out = whole * TK_CPU_PERIOD_US + frac * (TK_CPU_PERIOD_US / 100);
	return *out >= TK_CPU_QUOTA_MIN && *out <= TK_CPU_QUOTA_MAX;
}

static const char *bad_value;

/* The cgroup keys of tk.conf; false when KEY is not one. */
static bool
parse_limit_key(const char *key, const char *val)
{
	bad_value = NULL;
	if (!strcmp(key, "cgroup-parent")) {
		if (!valid_cgroup_parent(val))
			bad_value = "use /path or path, components [A-Za-z0-9_.-], not . or ..";
		else
			memcpy(policy.cgroup_parent, val, strlen(val) + 1);
	} else if (!strcmp(key, "max-memory")) {
		if (!parse_size(val, &policy.max_memory) || policy.max_memory < TK_MEM_MIN_BYTES)
			bad_value = "use a size from 1M to 1024T, like 512M or 4G";
	} else if (!strcmp(key, "max-cpus")) {
		if (!parse_cpus(val, &policy.max_cpu_quota))
			bad_value = "use a number of CPUs from 0.01 to 1024, like 2 or 1.5";
	} else if (!strcmp(key, "max-pids")) {
		if (!parse_u64(val, &policy.max_pids) || !policy.max_pids || policy.max_pids > TK_PIDS_MAX)
			bad_value = "use a number from 1 to 4194304";
	} else if (!strcmp(key, "max-containers")) {
		if (!parse_u64(val, &policy.max_containers) || !policy.max_containers ||
		    policy.max_containers > 1000000)
			bad_value = "use a number from 1 to 1000000";
	} else {
		return false;
	}
	return true;
}

static void
parse_config(char *buf, size_t len)
{
	int lineno = 0;
	char *line = buf, *next;

	for (; line < buf + len; line = next) {
		char *eq, *key, *val, *end;

		lineno++;
		next = memchr(line, '\n', buf + len - line);
		if (!next)
			die(TK_EXIT_FAIL, CONF_DIR "/" CONF_FILE ":%d: missing final newline", lineno);
		*next++ = 0;
		if (next - line > 512)
			die(TK_EXIT_FAIL, CONF_DIR "/" CONF_FILE ":%d: line too long", lineno);
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		eq = strchr(line, '=');
		if (!eq)
			die(TK_EXIT_FAIL, CONF_DIR "/" CONF_FILE ":%d: expected 'key = value'", lineno);
		key = line;
		for (end = eq; end > key && (end[-1] == ' ' || end[-1] == '\t'); end--)
			;
		*end = 0;
		val = eq + 1;
		while (*val == ' ' || *val == '\t')
			val++;
		for (end = val + strlen(val); end > val && (end[-1] == ' ' || end[-1] == '\t'); end--)
			;
		*end = 0;
		if (!strcmp(key, "group")) {
			/* A group name as useradd allows it. */
			size_t n = strlen(val);
			if (n == 0 || n >= sizeof(group_name) ||
			    strspn(val, "abcdefghijklmnopqrstuvwxyz0123456789_-") != n)
				die(TK_EXIT_FAIL, CONF_DIR "/" CONF_FILE ":%d: bad group name", lineno);
			memcpy(group_name, val, n + 1);
		} else if (!parse_limit_key(key, val)) {
			die(TK_EXIT_FAIL, CONF_DIR "/" CONF_FILE ":%d: unknown key '%.64s'", lineno, key);
		} else if (bad_value) {
			die(TK_EXIT_FAIL, CONF_DIR "/" CONF_FILE ":%d: bad value for %s: %s", lineno,
			    key, bad_value);
		}
	}
}

/*
 * SECURITY.md 13: /etc/tk/tk.conf is optional; when present it must be a
 * regular root-owned file that nobody else can write, in directories that
 * nobody else can write, and it must parse completely.
 */
bool
policy_resolve_sudo(void)
{
	uint32_t u, g;

	if (!sudo_mode)
		return false;
	if (!parse_u32(sudo_uid, UINT32_MAX - 1, &u) || u == 0 ||
	    !parse_u32(sudo_gid, UINT32_MAX - 1, &g))
		die(TK_EXIT_FAIL, "sudo mode: bad SUDO_UID or SUDO_GID");
	caller.uid = u;
	caller.gid = g;
	return true;
}

void
policy_load_config(void)
{
	int etc, dir, fd;
	struct stat st;
	char *buf;
	ssize_t n;
	size_t len = 0;

	policy_resolve_sudo();

	etc = open(TK_SYSCONFDIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (etc < 0)
		die_errno(TK_EXIT_FAIL, "cannot open " TK_SYSCONFDIR);
	check_root_owned(etc, TK_SYSCONFDIR);
	dir = openat(etc, "tk", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(etc);
	if (dir < 0 && errno != ENOENT)
		die_errno(TK_EXIT_FAIL, "cannot open " CONF_DIR);
	if (dir >= 0) {
		check_root_owned(dir, CONF_DIR);
		fd = openat(dir, CONF_FILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		close(dir);
		if (fd < 0 && errno != ENOENT)
			die_errno(TK_EXIT_FAIL, "cannot open " CONF_DIR "/" CONF_FILE);
		if (fd >= 0) {
			if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
				die(TK_EXIT_FAIL, CONF_DIR "/" CONF_FILE " is not a regular file");
			check_root_owned(fd, CONF_DIR "/" CONF_FILE);
			if (!(buf = malloc(CONF_MAX + 1)))
				die(TK_EXIT_FAIL, "out of memory");
			while (len < CONF_MAX + 1 && (n = read(fd, buf + len, CONF_MAX + 1 - len)) > 0)
				len += n;
			if (n < 0)
				die_errno(TK_EXIT_FAIL, "cannot read " CONF_DIR "/" CONF_FILE);
			close(fd);
			if (len > CONF_MAX)
				die(TK_EXIT_FAIL, CONF_DIR "/" CONF_FILE " is too large");
			if (memchr(buf, 0, len))
				die(TK_EXIT_FAIL, CONF_DIR "/" CONF_FILE " contains a NUL byte");
			parse_config(buf, len);
			free(buf);
		}
	}
	check_member();
}

/*
 * The first range of /etc/subuid or /etc/subgid for the caller, by login
 * name or by decimal uid, as shadow's newuidmap reads them. Ranges that
 * overflow or that contain id 0 are refused (SECURITY.md 25).
 */
static bool
find_subid(const char *file, struct idrange *r)
{
	FILE *f;
	char line[512], uidstr[16];
	bool found = false;

	snprintf(uidstr, sizeof(uidstr), "%u", (unsigned)caller.uid);
	f = fopen(file, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2, *nl;
		uint32_t start, count;

		if (!c1 || !(c2 = strchr(c1 + 1, ':')))
			continue;
		*c1 = *c2 = 0;
		if ((nl = strchr(c2 + 1, '\n')))
			*nl = 0;
		if (strcmp(line, uidstr) && (!caller.name[0] || strcmp(line, caller.name)))
			continue;
		if (!parse_u32(c1 + 1, UINT32_MAX - 1, &start) ||
		    !parse_u32(c2 + 1, UINT32_MAX - 1, &count))
			continue;
		if (count == 0 || start == 0 || (uint64_t)start + count > UINT32_MAX ||
		    count >= UINT32_MAX - 1)
			continue;
		*r = (struct idrange){ 1, start, count };
		found = true;
	}
	fclose(f);
	return found;
}

void
policy_idmap(struct idmap *m)
{
	memset(m, 0, sizeof(*m));
	if (caller.root) {
		/* Root keeps its own ids, still inside a user namespace, so root
		 * in the container holds capabilities only over the container. */
		m->uid[0] = m->gid[0] = (struct idrange){ 0, 0, 65536 };
		m->nuid = m->ngid = 1;
		m->subgid = true;
		return;
	}
	m->uid[0] = (struct idrange){ 0, caller.uid, 1 };
	m->gid[0] = (struct idrange){ 0, caller.gid, 1 };
	m->nuid = find_subid("/etc/subuid", &m->uid[1]) ? 2 : 1;
	m->subgid = find_subid("/etc/subgid", &m->gid[1]);
	m->ngid = m->subgid ? 2 : 1;
}
