/*
 * Writing uid/gid maps (SECURITY.md 25), for the start verb's container and
 * for the idmap verb, which does for tk-pull and tk-rm what shadow's
 * newuidmap and newgidmap do: map a fresh user namespace of the caller's
 * with the caller's own id and its /etc/subuid and /etc/subgid ranges,
 * never anything else.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helper.h"

/* One write: the kernel takes a map in a single write only. */
static void
write_proc(int procfd, const char *file, const char *buf, int len)
{
	int fd = openat(procfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0 || write(fd, buf, len) != len)
		die_errno(TK_EXIT_FAIL, "cannot write %s", file);
	close(fd);
}

static void
write_map(int procfd, const char *file, const struct idrange *r, int n)
{
	char buf[128];
	int len = 0;

	for (int i = 0; i < n; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n", r[i].inside,
				r[i].outside, r[i].count);
	write_proc(procfd, file, buf, len);
}

void
idmap_write(int procfd, const struct idmap *m)
{
	/* CVE-2018-7169: without a subordinate gid range the process must
	 * not be able to drop its supplementary groups (negative group ACLs
	 * would stop applying), so setgroups is denied first. */
	if (!m->subgid)
		write_proc(procfd, "setgroups", "deny", 4);
	write_map(procfd, "gid_map", m->gid, m->ngid);
	write_map(procfd, "uid_map", m->uid, m->nuid);
}

static bool
same_ns(int fd1, int fd2)
{
	struct stat a, b;

	return fstat(fd1, &a) == 0 && fstat(fd2, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* Real, effective, saved and fs uid of the process, all the caller's. */
static bool
owned_by_caller(int procfd)
{
	char buf[4096], *p;
	unsigned r, e, s, f;

	if (read_small(procfd, "status", buf, sizeof(buf)) <= 0)
		return false;
	p = strstr(buf, "\nUid:");
	if (!p || sscanf(p + 5, "%u %u %u %u", &r, &e, &s, &f) != 4)
		return false;
	return r == caller.uid && e == caller.uid && s == caller.uid && f == caller.uid;
}

/*
 * A process of the caller's, pinned (idmap, start, join): a pidfd first, then its
 * /proc directory, trusted only once the pidfd shows the process still
 * alive (a reused pid cannot pass); every uid of it, real, effective,
 * saved and fs, the caller's. Returns the /proc directory.
 */
int
pin_caller_process(const char *verb, uint32_t pid)
{
	int pidfd, procfd;
	char path[32];

	pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (pidfd < 0)
		die_denied("%s: pidfd_open %u: %s", verb, pid, strerror(errno));
	snprintf(path, sizeof(path), "/proc/%u", pid);
	procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (procfd < 0 || syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)
		die_denied("%s: process %u is gone", verb, pid);
	if (!owned_by_caller(procfd))
		die_denied("%s: process %u is not the caller's", verb, pid);
	close(pidfd);
	return procfd;
}

/* The user namespace of the caller's pinned process PID: its own, a
 * child of ours, made by the caller (owner uid). */
void
check_callers_userns(const char *verb, int procfd, uint32_t pid)
{
	int nsfd, parentfd, selffd;
	uid_t owner = (uid_t)-1;

	nsfd = openat(procfd, "ns/user", O_RDONLY | O_CLOEXEC);
	selffd = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || selffd < 0)
		die_errno(TK_EXIT_FAIL, "cannot open user namespaces");
	if (same_ns(nsfd, selffd))
		die_denied("%s: process %u has no user namespace of its own", verb, pid);
	parentfd = ioctl(nsfd, NS_GET_PARENT);
	if (parentfd < 0 || !same_ns(parentfd, selffd))
		die_denied("%s: user namespace of %u is not a child of ours", verb, pid);
	if (ioctl(nsfd, NS_GET_OWNER_UID, &owner) < 0 || owner != caller.uid)
		die_denied("%s: user namespace of %u is not owned by the caller", verb, pid);
	close(parentfd);
	close(selffd);
	close(nsfd);
}

/*
 * idmap PID: the process pinned as above, its user namespace checked. The
 * kernel itself refuses a second map.
 */
int
verb_idmap(int argc, char **argv)
{
	uint32_t pid;
	int procfd;
	struct idmap m;

	if (argc != 2 || !parse_u32(argv[1], 1U << 22, &pid) || pid < 2)
		die(2, "usage: tk-helper idmap PID");
	procfd = pin_caller_process("idmap", pid);
	check_callers_userns("idmap", procfd, pid);
	/* Without subordinate ids only the caller's own id is mapped; the
	 * tool that asked says so in its own words. */
	if (check_only)
		check_allowed("idmap %u", pid);
	policy_idmap(&m);
	idmap_write(procfd, &m);
	return 0;
}
