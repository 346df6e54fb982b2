/*
 * tk-doctor: a preflight. Says, in plain words and with the fix, what
 * keeps the caller from running containers with tk on this machine: group
 * membership, subordinate ids, user namespaces (sysctls, AppArmor),
 * overlayfs in a user namespace, the cgroup layout and controllers, and
 * how tk-helper is installed. Runs unprivileged; changes nothing.
 * Exit 0 when nothing blocks use (warnings allowed), 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <nss.h>
#include <pwd.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>

#include "helper.h"
#include "util.h"
#include "banned.h"

static const char usage_text[] =
	"Usage: tk-doctor [-q]\n"
	"Check that this machine and this user can run tk containers, and say\n"
	"how to fix what is missing. Exit 0 when nothing blocks use, 1 otherwise.\n"
	"\n"
	"  -q, --quiet   print problems and warnings only\n"
	"      --help    show this help\n";

static int problems, warnings;
static bool quiet;

static void
say(const char *kind, const char *fix, const char *fmt, ...)
{
	va_list ap;

	if (!strcmp(kind, "problem"))
		problems++;
	else if (!strcmp(kind, "warning"))
		warnings++;
	else if (quiet)
		return;
	printf("%-8s ", kind);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (fix)
		printf("%-8s fix: %s\n", "", fix);
}

/* "0" or "1" (or a number) from a /proc/sys file; -1 if absent. */
static long
read_sysctl(const char *path)
{
	char buf[32];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtol(buf, NULL, 10);
}

/* The group tk.conf names, or "tk". */
static void
tk_group(char *buf, size_t n)
{
	FILE *f = fopen(TK_SYSCONFDIR "/tk/tk.conf", "re");
	char line[512];

	snprintf(buf, n, "tk");
	while (f && fgets(line, sizeof(line), f)) {
		char key[64], val[64];
		if (sscanf(line, " %63[a-z-] = %63[a-z0-9_-]", key, val) == 2 && !strcmp(key, "group"))
			snprintf(buf, n, "%s", val);
	}
	if (f)
		fclose(f);
}

static void
check_group(const char *user)
{
	char name[64], fix[256];
	struct group *gr;
	gid_t groups[NGROUPS_MAX + 1];
	int n;

	tk_group(name, sizeof(name));
	gr = getgrnam(name);
	if (getuid() == 0) {
		say("ok", NULL, "you are root: tk needs no group for you");
		return;
	}
	if (!gr) {
		snprintf(fix, sizeof(fix), "an admin runs 'groupadd --system %s' (make install does)", name);
		say("problem", fix, "group '%s' is not in /etc/group", name);
		return;
	}
	n = getgroups(NGROUPS_MAX + 1, groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == gr->gr_gid) {
			say("ok", NULL, "you are in group '%s'", name);
			return;
		}
	for (char **m = gr->gr_mem; *m; m++)
		if (!strcmp(*m, user)) {
			say("problem", "log out and in again (or run 'newgrp')",
			    "you were added to group '%s', but this session does not have it yet", name);
			return;
		}
	snprintf(fix, sizeof(fix), "an admin runs 'usermod -aG %s %s', then you log in again", name, user);
	say("problem", fix, "you are not in group '%s'", name);
}

/* A usable range for user in file: count > 0, start > 0, no overflow. */
static void
check_subid(const char *file, const char *user)
{
	FILE *f = fopen(file, "re");
	char line[512], uidstr[16], fix[256];
	bool found = false, bad = false;

	snprintf(uidstr, sizeof(uidstr), "%u", (unsigned)getuid());
	while (f && fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2, *end;
		unsigned long long start, count;
		if (!c1 || !(c2 = strchr(c1 + 1, ':')))
			continue;
		*c1 = *c2 = 0;
		if (strcmp(line, user) && strcmp(line, uidstr))
			continue;
		errno = 0;
		start = strtoull(c1 + 1, &end, 10);
		count = strtoull(c2 + 1, NULL, 10);
		if (errno || end == c1 + 1 || start == 0 || count == 0 || start + count > 4294967295ULL)
			bad = true;
		else
			found = true;
	}
	if (f)
		fclose(f);
	if (found) {
		say("ok", NULL, "%s has a range for you", file);
		return;
	}
	snprintf(fix, sizeof(fix), "an admin runs 'usermod --add-sub%cids 100000-165535 %s' "
		 "(a free range)", strstr(file, "gid") ? 'g' : 'u', user);
	say("warning", fix, "%s has %s range for you: containers map only your own id, "
	    "and images whose files have other owners may not unpack", file,
	    bad ? "only an unusable" : "no");
}

/* In a child: a user namespace mapping us, and an overlay mount in it. */
static int
try_userns_overlay(void)
{
	char dir[] = "/tmp/tk-doctor.XXXXXX", path[128], map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();
	int fd, r = 1;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return 2;
	fd = open("/proc/self/setgroups", O_WRONLY);
	if (fd < 0 || write(fd, "deny", 4) != 4)
		return 2;
	close(fd);
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	fd = open("/proc/self/uid_map", O_WRONLY);
	if (fd < 0 || write(fd, map, strlen(map)) < 0)
		return 2;
	close(fd);
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	fd = open("/proc/self/gid_map", O_WRONLY);
	if (fd < 0 || write(fd, map, strlen(map)) < 0)
		return 2;
	close(fd);
	if (!mkdtemp(dir) || mount("none", dir, "tmpfs", 0, NULL) < 0)
		return 3;
	for (const char *const *d = (const char *const[]){ "l", "u", "w", "m", NULL }; *d; d++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *d);
		mkdir(path, 0700);
	}
	snprintf(path, sizeof(path), "lowerdir=%s/l,upperdir=%s/u,workdir=%s/w,userxattr", dir, dir, dir);
	{
		char target[64];
		snprintf(target, sizeof(target), "%s/m", dir);
		if (mount("overlay", target, "overlay", 0, path) == 0)
			r = 0;
	}
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	return r;
}

static void
check_userns(void)
{
	long v;
	pid_t pid;
	int st;

	v = read_sysctl("/proc/sys/kernel/unprivileged_userns_clone");
	if (v == 0)
		say("problem", "an admin runs 'sysctl -w kernel.unprivileged_userns_clone=1' "
		    "(and sets it in /etc/sysctl.d/)", "unprivileged user namespaces are disabled "
		    "(kernel.unprivileged_userns_clone = 0)");
	v = read_sysctl("/proc/sys/user/max_user_namespaces");
	if (v == 0)
		say("problem", "an admin runs 'sysctl -w user.max_user_namespaces=15000' "
		    "(and sets it in /etc/sysctl.d/)", "user namespaces are disabled "
		    "(user.max_user_namespaces = 0)");
	v = read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
	if (v == 1)
		say("problem", "an admin gives tk an AppArmor profile with 'userns,' or runs "
		    "'sysctl -w kernel.apparmor_restrict_unprivileged_userns=0'",
		    "AppArmor restricts unprivileged user namespaces "
		    "(kernel.apparmor_restrict_unprivileged_userns = 1)");
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(try_userns_overlay());
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st)) {
		say("warning", NULL, "could not try a user namespace");
		return;
	}
	switch (WEXITSTATUS(st)) {
	case 0:
		say("ok", NULL, "user namespaces work, and overlayfs mounts in them");
		break;
	case 1:
		say("problem", "use a kernel of 5.11 or later with overlay (modprobe overlay)",
		    "overlayfs cannot be mounted in a user namespace here");
		break;
	case 2:
		say("problem", "see the sysctls above; a container runtime around you may also "
		    "forbid it", "you cannot create a user namespace");
		break;
	default:
		say("warning", NULL, "could not mount a tmpfs in a user namespace to try overlayfs");
	}
}

static void
check_cgroups(void)
{
	struct statfs sfs;
	char buf[512];
	int fd;
	ssize_t n;

	if (statfs("/sys/fs/cgroup", &sfs) < 0) {
		say("warning", "an admin mounts cgroup2 on /sys/fs/cgroup",
		    "no cgroup file system at /sys/fs/cgroup: no resource limits");
		return;
	}
	if (sfs.f_type != CGROUP2_SUPER_MAGIC) {
		say("ok", NULL, "cgroup v1 (or hybrid): limits use the v1 controllers "
		    "(memory, cpu, blkio, pids)");
		return;
	}
	fd = open("/sys/fs/cgroup/cgroup.controllers", O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	for (const char *const *c = (const char *const[]){ "memory", "cpu", "io", "pids", NULL }; *c; c++) {
		char word[16];
		snprintf(word, sizeof(word), "%s", *c);
		bool have = false;
		for (char *p = buf; (p = strstr(p, word)); p += strlen(word))
			if ((p == buf || p[-1] == ' ') && (p[strlen(word)] == ' ' ||
			    p[strlen(word)] == '\n' || !p[strlen(word)]))
				have = true;
		if (!have)
			say("warning", "an admin enables it (kernel command line or systemd)",
			    "cgroup v2 controller '%s' is not available: its limits cannot be set", *c);
	}
	say("ok", NULL, "cgroup v2 at /sys/fs/cgroup");
}

static void
check_helper(void)
{
	const char *path = getenv("TK_HELPER");
	char fix[512], name[64];
	struct stat st;
	struct statvfs vfs;
	struct group *gr;
	long nnp = -1;
	FILE *f;
	char line[128];

	if (!path || !*path)
		path = TK_HELPER_PATH;
	if (stat(path, &st) < 0) {
		snprintf(fix, sizeof(fix), "an admin runs 'make install' as root (it puts the helper "
			 "there, setuid), or set TK_HELPER to where it is");
		say("problem", fix, "tk-helper is not at %s: %s", path, strerror(errno));
		return;
	}
	tk_group(name, sizeof(name));
	gr = getgrnam(name);
	if (st.st_uid != 0 || (st.st_mode & 022)) {
		snprintf(fix, sizeof(fix), "an admin runs 'chown root:%s %s; chmod 4750 %s'", name, path, path);
		say("problem", fix, "%s must be owned by root and writable by root only", path);
		return;
	}
	if (!(st.st_mode & S_ISUID)) {
		if (access("/etc/sudoers.d/tk", F_OK) == 0 || getuid() == 0)
			say("ok", NULL, "%s is not setuid: sudo mode (sudoers.d/tk)", path);
		else {
			snprintf(fix, sizeof(fix), "an admin runs 'chown root:%s %s; chmod 4750 %s', "
				 "or installs the sudo rule (tk-helper(8), SUDO MODE)", name, path, path);
			say("problem", fix, "%s is neither setuid nor set up for sudo", path);
		}
		return;
	}
	if (st.st_mode & S_IXOTH) {
		snprintf(fix, sizeof(fix), "an admin runs 'chmod 4750 %s' (group '%s' only)", path, name);
		say("warning", fix, "%s is setuid and executable by everyone (mode %o); it refuses "
		    "non-members itself, but the mode should say so too", path,
		    (unsigned)(st.st_mode & 07777));
	}
	if (gr && st.st_gid != gr->gr_gid) {
		snprintf(fix, sizeof(fix), "an admin runs 'chgrp %s %s'", name, path);
		say("warning", fix, "%s does not belong to group '%s'", path, name);
	}
	if (statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_NOSUID)) {
		snprintf(fix, sizeof(fix), "install it on a file system mounted without nosuid "
			 "(make install LIBEXECDIR=...), or use sudo mode");
		say("problem", fix, "%s is on a nosuid mount: its setuid bit does nothing", path);
	}
	f = fopen("/proc/self/status", "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "NoNewPrivs:", 11))
			nnp = strtol(line + 11, NULL, 10);
	if (f)
		fclose(f);
	if (nnp == 1)
		say("problem", "run tk outside whatever sets no_new_privs (a container, systemd's "
		    "NoNewPrivileges=, setpriv)", "this session has no_new_privs set: "
		    "no setuid program, tk-helper included, can gain privilege");
	if (access(path, X_OK) < 0 && getuid() != 0) {
		snprintf(fix, sizeof(fix), "join group '%s' (see above)", name);
		say("problem", fix, "you cannot execute %s", path);
		return;
	}
	say("ok", NULL, "%s is setuid root, mode %o, group %s", path,
	    (unsigned)(st.st_mode & 07777), gr ? gr->gr_name : "?");
}

int
main(int argc, char **argv)
{
	char uidname[16];
	const char *me;
	static const struct option longopts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct passwd *pw;
	int c;

	tk_prog = "tk-doctor";
	while ((c = getopt_long(argc, argv, "q", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
		default:
			tk_usage_error("unknown option");
		}
	}
	if (optind < argc)
		tk_usage_error("no arguments expected");
	/* Names as the helper sees them: the local files only (it is static,
	 * helper/policy.c), not LDAP or SSSD. */
	if (__nss_configure_lookup("passwd", "files") || __nss_configure_lookup("group", "files"))
		tk_die(1, "cannot restrict name lookups to the local files");
	pw = getpwuid(getuid());
	snprintf(uidname, sizeof(uidname), "%u", (unsigned)getuid());
	if (!pw)
		say("warning", "an admin gives you /etc/subuid and /etc/subgid lines by uid "
		    "(tk-helper reads names from the local files only)",
		    "you (uid %s) are not in /etc/passwd", uidname);
	me = pw ? pw->pw_name : uidname;
	check_group(me);
	if (getuid() != 0) {
		check_subid("/etc/subuid", me);
		check_subid("/etc/subgid", me);
	}
	check_userns();
	check_cgroups();
	check_helper();
	if (problems)
		printf("%d problem%s: tk cannot run containers for you until %s fixed\n", problems,
		       problems == 1 ? "" : "s", problems == 1 ? "it is" : "they are");
	else if (!quiet)
		printf("tk is ready for you%s\n", warnings ? " (see the warnings)" : "");
	if (fflush(stdout) != 0 || ferror(stdout))
		tk_die(1, "cannot write to stdout");
	return problems ? 1 : 0;
}
