/*
 * The container's root filesystem, built inside the container's own mount
 * namespace by its first process, which is root of the container's user
 * namespace only: the kernel checks every access against the caller's ids
 * outside (SECURITY.md 18), and no mount here is visible on the host.
 *
 * Everything is done on descriptors (SECURITY.md 19): the new mount API
 * (fsopen/fsmount/move_mount/open_tree/mount_setattr), targets opened with
 * openat2 beneath the container's root with no symlinks followed, so an
 * image whose /proc is a symlink to /etc is refused, not followed
 * (attack 13). Flags per SECURITY.md 21-24.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "rt.h"
#include "sanitize.h"

/* Read the kernel's own message for a failed fs_context, if any. */
static _Noreturn void
fs_die(int fsfd, const char *what)
{
	char msg[256];
	int e = errno;
	ssize_t n = fsfd >= 0 ? read(fsfd, msg, sizeof(msg) - 1) : -1;

	if (n > 0) {
		msg[n] = 0;
		if (msg[n - 1] == '\n')
			msg[n - 1] = 0;
		die(TK_EXIT_FAIL, "cannot mount %s: %s (%s)", what, strerror(e), msg + (n > 2 ? 2 : 0));
	}
	errno = e;
	die_errno(TK_EXIT_FAIL, "cannot mount %s", what);
}

/* A new, detached mount of fstype with "key=value" or "flag" options. */
static int
new_mount(const char *fstype, const char *const *opts, unsigned attrs)
{
	int fsfd = fsopen(fstype, FSOPEN_CLOEXEC), mfd;

	if (fsfd < 0)
		fs_die(-1, fstype);
	for (int i = 0; opts && opts[i]; i++) {
		char key[64];
		const char *eq = strchr(opts[i], '=');
		int r;
		if (eq) {   /* our own options: a key cut short fails in fsconfig */
			snprintf(key, sizeof(key), "%.*s", (int)(eq - opts[i]), opts[i]);
			r = fsconfig(fsfd, FSCONFIG_SET_STRING, key, eq + 1, 0);
		} else {
			r = fsconfig(fsfd, FSCONFIG_SET_FLAG, opts[i], NULL, 0);
		}
		if (r < 0)
			fs_die(fsfd, fstype);
	}
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		fs_die(fsfd, fstype);
	mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, attrs);
	if (mfd < 0)
		fs_die(fsfd, fstype);
	close(fsfd);
	return mfd;
}

static void
attach(int mfd, int targetfd, const char *what)
{
	if (move_mount(mfd, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		die_errno(TK_EXIT_FAIL, "cannot mount %s", what);
}

/*
 * Open a mount target beneath root: one directory (or file) name that is
 * not a symlink, created when missing. Creating it writes to the
 * container's upper layer or to our own tmpfs, never to the host.
 */
static int
target(int rootfd, const char *name, bool dir)
{
	int fd = openat_beneath(rootfd, name, O_PATH | (dir ? O_DIRECTORY : 0), RESOLVE_NO_XDEV);

	if (fd < 0 && errno == ENOENT) {
		if (dir) {
			if (mkdirat(rootfd, name, 0755) < 0 && errno != EEXIST)
				die_errno(TK_EXIT_FAIL, "cannot create /%s in the container", name);
		} else {
			int f = openat(rootfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (f < 0)
				die_errno(TK_EXIT_FAIL, "cannot create %s", name);
			close(f);
		}
		fd = openat_beneath(rootfd, name, O_PATH | (dir ? O_DIRECTORY : 0), RESOLVE_NO_XDEV);
	}
	if (fd < 0)
		die_errno(TK_EXIT_FAIL, "cannot use /%s in the container (a symlink or not a %s?)",
			  name, dir ? "directory" : "file");
	return fd;
}

static void
mount_at(int rootfd, const char *name, int mfd, bool dir)
{
	int t = target(rootfd, name, dir);

	attach(mfd, t, name);
	close(t);
}

static void
setattr(int fd, unsigned set, bool recursive, const char *what)
{
	struct mount_attr a = { .attr_set = set };

	if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof(a)) < 0)
		die_errno(TK_EXIT_FAIL, "cannot set mount flags on %s", what);
}

/* SECURITY.md 23: a host device node bound in, after checking that the
 * source really is that device. */
static void
bind_device(int devfd, const char *name, unsigned maj, unsigned min)
{
	char src[32];
	struct stat st;
	int fd;

	snprintf(src, sizeof(src), "/dev/%s", name);
	fd = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
	if (fd < 0)
		die_errno(TK_EXIT_FAIL, "cannot bind %s", src);
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(maj, min))
		die(TK_EXIT_FAIL, "%s on the host is not the expected device", src);
	setattr(fd, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, false, src);
	mount_at(devfd, name, fd, false);
	close(fd);
}

#define LOCKED (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)
enum cover { MASK_FILE, MASK_DIR, READ_ONLY };

/* Cover DIRFD's NAME, when this kernel has it: a file with /dev/null
 * (NULLFD), a directory with an empty read-only tmpfs, or anything with
 * a read-only bind of itself. */
static void
cover(int dirfd, const char *name, enum cover how, int nullfd)
{
	static const char *const opts[] = { "size=0k", "nr_inodes=1", "mode=0555", NULL };
	int t = openat_beneath(dirfd, name, O_PATH | (how == MASK_DIR ? O_DIRECTORY : 0),
			       RESOLVE_NO_XDEV), m;

	if (t < 0)
		return;
	if (how == MASK_DIR)
		m = new_mount("tmpfs", opts, LOCKED);
	else
		m = open_tree(how == MASK_FILE ? nullfd : t, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
			      AT_EMPTY_PATH | (how == READ_ONLY ? AT_RECURSIVE : 0));
	if (m < 0)
		die_errno(TK_EXIT_FAIL, "cannot mask %s", name);
	if (how == READ_ONLY)
		setattr(m, LOCKED, true, name);
	attach(m, t, name);
	close(m);
	close(t);
}

/* Bind mfd over etc/<name> when the image has it as a regular file, or
 * has no such file (then created in the upper layer). A symlink there is
 * the image's choice: left alone, never followed (SECURITY.md 19). */
static void
bind_etc(int etcfd, const char *name, int mfd, unsigned attrs)
{
	struct stat st;
	int t = openat_beneath(etcfd, name, O_PATH, RESOLVE_NO_XDEV);

	if (t < 0 && errno == ENOENT) {
		int f = openat(etcfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (f >= 0)
			close(f);
		t = openat_beneath(etcfd, name, O_PATH, RESOLVE_NO_XDEV);
	}
	if (t >= 0 && fstat(t, &st) == 0 && S_ISREG(st.st_mode)) {
		setattr(mfd, attrs | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, false, name);
		attach(mfd, t, name);
	}
	if (t >= 0)
		close(t);
}

/* A file written into the container's fresh /dev, bound over etc/<name>,
 * then unlinked from /dev: the bind keeps the file. */
static void
etc_file(int etcfd, int devfd, const char *name, const char *text)
{
	size_t len = strlen(text);
	int f = openat(devfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644), m;

	if (f < 0 || write(f, text, len) != (ssize_t)len || close(f) < 0)
		die_errno(TK_EXIT_FAIL, "cannot write the container's /etc/%s", name);
	m = open_tree(devfd, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
	if (m < 0)
		die_errno(TK_EXIT_FAIL, "cannot bind the container's /etc/%s", name);
	bind_etc(etcfd, name, m, 0);
	close(m);
	if (unlinkat(devfd, name, 0) < 0)
		die_errno(TK_EXIT_FAIL, "cannot remove the staged /etc/%s", name);
}

/* The host's own file (symlinks followed: /etc/resolv.conf often is one),
 * read-only; opened in the container's namespaces, so as the caller. */
static void
etc_host_file(int etcfd, const char *name)
{
	char path[32];
	struct stat st;
	int m;

	snprintf(path, sizeof(path), "/etc/%s", name);
	m = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	/* The host has none: neither does the container. */
	if (m >= 0 && fstat(m, &st) == 0 && S_ISREG(st.st_mode))
		bind_etc(etcfd, name, m, MOUNT_ATTR_RDONLY);
	if (m >= 0)
		close(m);
}

/*
 * /etc/hostname and /etc/hosts naming the container (with --net host: the
 * host's hosts and resolv.conf, read-only), as Docker and Podman give
 * them. Bound over the image's files, so the image is never changed; the
 * generated ones are staged in the container's /dev tmpfs, so nothing
 * touches the disk. Files can be bound only from a mount in this
 * namespace, and a tmpfs of their own would cost an unmount, which waits
 * for an RCU grace period: a few ms of every start on a busy machine.
 */
static void
setup_etc(int rootfd, int devfd, bool net_host)
{
	char hosts[512], name[80];
	struct utsname u;
	int etcfd = openat_beneath(rootfd, "etc", O_PATH | O_DIRECTORY, RESOLVE_NO_XDEV);

	if (etcfd < 0)
		return;   /* no /etc in the image (FROM scratch) */
	if (uname(&u) < 0)
		die_errno(TK_EXIT_FAIL, "uname");
	snprintf(name, sizeof(name), "%s\n", u.nodename);
	etc_file(etcfd, devfd, "hostname", name);
	if (net_host) {
		etc_host_file(etcfd, "hosts");
		etc_host_file(etcfd, "resolv.conf");
	} else {
		snprintf(hosts, sizeof(hosts), "127.0.0.1\tlocalhost\n"
			 "::1\tlocalhost ip6-localhost ip6-loopback\n"
			 "127.0.1.1\t%s\n", u.nodename);
		etc_file(etcfd, devfd, "hosts", hosts);
	}
	close(etcfd);
}

/* The container's /dev; returns the descriptor of its root. */
static int
setup_dev(int rootfd)
{
	static const char *const tmpfs_opts[] = { "mode=0755", "size=64k", "nr_inodes=64", NULL };
	static const char *const shm_opts[] = { "mode=1777", "size=65536k", NULL };
	static const char *const pts_opts[] = { "newinstance", "ptmxmode=0666", "mode=0620", NULL };
	static const struct { const char *name; unsigned maj, min; } devs[] = {
		{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
		{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
	};
	static const char *const links[][2] = {
		{ "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
		{ "ptmx", "pts/ptmx" },
	};
	int devfd, m;

	/* Nothing from the image's /dev is used: a fresh tmpfs over it. */
	m = new_mount("tmpfs", tmpfs_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	mount_at(rootfd, "dev", m, true);
	devfd = m;   /* the mount's root, now attached */
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		bind_device(devfd, devs[i].name, devs[i].maj, devs[i].min);
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlinkat(links[i][1], devfd, links[i][0]) < 0)
			die_errno(TK_EXIT_FAIL, "cannot create /dev/%s", links[i][0]);
	/* devpts holds the pty device nodes, so it cannot be nodev. */
	m = new_mount("devpts", pts_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
	mount_at(devfd, "pts", m, true);
	close(m);
	m = new_mount("tmpfs", shm_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	mount_at(devfd, "shm", m, true);
	close(m);
	m = new_mount("mqueue", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	mount_at(devfd, "mqueue", m, true);
	close(m);
	return devfd;
}

static void
setup_proc(int rootfd)
{
	static const char *const masked_files[] = {
		"kcore", "keys", "timer_list", "sched_debug", "latency_stats", "timer_stats", NULL,
	};
	static const char *const masked_dirs[] = { "acpi", "scsi", "asound", NULL };
	static const char *const ro[] = { "bus", "fs", "irq", "sys", "sysrq-trigger", NULL };
	int procfd, nullfd;

	procfd = new_mount("proc", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	mount_at(rootfd, "proc", procfd, true);
	nullfd = openat_beneath(rootfd, "dev/null", O_PATH, 0);
	if (nullfd < 0)
		die_errno(TK_EXIT_FAIL, "cannot open the container's /dev/null");
	for (int i = 0; masked_files[i]; i++)
		cover(procfd, masked_files[i], MASK_FILE, nullfd);
	for (int i = 0; masked_dirs[i]; i++)
		cover(procfd, masked_dirs[i], MASK_DIR, -1);
	for (int i = 0; ro[i]; i++)
		cover(procfd, ro[i], READ_ONLY, -1);
	close(nullfd);
	close(procfd);
}

static void
setup_sys(int rootfd, bool net_host, bool userns)
{
	int m;

	if (net_host && userns) {
		/* A sysfs mount needs a network namespace of our own; share the
		 * host's /sys read-only instead, as Podman does. */
		m = open_tree(AT_FDCWD, "/sys", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (m < 0)
			die_errno(TK_EXIT_FAIL, "cannot bind /sys");
		setattr(m, LOCKED, true, "/sys");
	} else {
		m = new_mount("sysfs", NULL, LOCKED);
	}
	mount_at(rootfd, "sys", m, true);
	cover(m, "firmware", MASK_DIR, -1);
	close(m);
}

/*
 * The store descriptor was opened in the caller's mount namespace, and
 * overlayfs accepts only layers reachable in the mounter's own: open the
 * store again by its path, here, as the caller (root of a namespace that
 * maps to the caller), and accept it only if it is the same directory.
 */
static int
reopen_store(void)
{
	char link[32], path[4096];
	struct stat a, b;
	ssize_t n;
	int fd;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", TK_STORE_FD);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0 || path[0] != '/')
		die(TK_EXIT_FAIL, "the store is not reachable by a path");
	path[n] = 0;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &a) < 0 || fstat(TK_STORE_FD, &b) < 0 || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino)
		die(TK_EXIT_FAIL, "the store changed while starting the container");
	return fd;
}

void
rootfs_setup(const struct rootfs_spec *spec)
{
	char lower[TK_MAX_LAYERS * 24 + 16], upper[48], work[48];
	/* The overlay's options, lower, upper and work filled in below.
	 * An upper layer thrown away at the end need not survive a crash:
	 * without "volatile", the overlay's unmount at exit runs syncfs on
	 * the whole file system under the store (20-100 ms here). */
	const char *opts[] = { lower, upper, work, "userxattr", "redirect_dir=nofollow",
			       "metacopy=off", "index=off", spec->scratch ? "volatile" : NULL, NULL };
	int len, rootfd, storefd, layersfd, ctsfd, ctfd, devfd;
	int layerfd[TK_MAX_LAYERS], upperfd, workfd;

	/* SECURITY.md 21: nothing we mount propagates back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die_errno(TK_EXIT_FAIL, "cannot make mounts private");

	storefd = reopen_store();
	layersfd = open_store_dir(storefd, "layers");
	for (int i = 0; i < spec->nlayers; i++)
		layerfd[i] = open_store_dir(layersfd, spec->layers[i]);
	ctsfd = open_store_dir(storefd, "containers");
	ctfd = open_store_dir(ctsfd, spec->id);
	upperfd = open_store_dir(ctfd, TK_CT_UPPER);
	workfd = open_store_dir(ctfd, TK_CT_WORK);

	/* overlayfs over helper-chosen directories only, named by our own
	 * descriptors (SECURITY.md 22). Top layer first. */
	len = snprintf(lower, sizeof(lower), "lowerdir=");
	for (int i = spec->nlayers - 1; i >= 0; i--)
		len += snprintf(lower + len, sizeof(lower) - len, "%s/proc/self/fd/%d",
				i == spec->nlayers - 1 ? "" : ":", layerfd[i]);
	snprintf(upper, sizeof(upper), "upperdir=/proc/self/fd/%d", upperfd);
	snprintf(work, sizeof(work), "workdir=/proc/self/fd/%d", workfd);
	rootfd = new_mount("overlay", opts, MOUNT_ATTR_NODEV |
				(spec->userns ? 0 : MOUNT_ATTR_NOSUID));
	/* On the container's own directory: in this namespace it needs no
	 * other, and upper and work are the overlay's already. */
	attach(rootfd, ctfd, "the container's root");
	for (int i = 0; i < spec->nlayers; i++)
		close(layerfd[i]);
	close(layersfd);
	close(upperfd);
	close(workfd);
	close(ctfd);
	close(ctsfd);
	close(storefd);

	if (fchdir(rootfd) < 0)
		die_errno(TK_EXIT_FAIL, "cannot enter the container's root");
	devfd = setup_dev(rootfd);
	setup_etc(rootfd, devfd, spec->net_host);
	close(devfd);
	setup_proc(rootfd);
	setup_sys(rootfd, spec->net_host, spec->userns);

	/* pivot_root(".", ".") then detach the old root: the host's tree is
	 * gone from this namespace. */
	tk_san_report_to_stderr();
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die_errno(TK_EXIT_FAIL, "cannot pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		die_errno(TK_EXIT_FAIL, "cannot detach the old root");
	if (chdir("/") < 0)
		die_errno(TK_EXIT_FAIL, "cannot chdir to /");
	close(rootfd);
}
