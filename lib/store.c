#include <errno.h>
#include <fcntl.h>
#include <nss.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "util.h"
#include "banned.h"

static const char *const subdirs[] = { "tmp", "layers", "images", "containers", NULL };

static char *
default_root(void)
{
	const char *x = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");

	if (getuid() == 0)
		return xstrdup("/var/lib/tk");
	if (x && x[0] == '/')
		return xasprintf("%s/tk", x);
	if (!home || home[0] != '/') {
		/* /etc/passwd only: the static tools cannot load NSS modules
		 * (libnss_systemd crashes a static glibc program). */
		struct passwd *pw = __nss_configure_lookup("passwd", "files") ? NULL : getpwuid(getuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home)
		return NULL;
	return xasprintf("%s/.local/share/tk", home);
}

/* mkdir -p for the store's own path, then check what we got. */
static int
mkdir_parents(const char *path, struct tk_err *err)
{
	cleanup_free char *p = xstrdup(path);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return tk_err_errno(err, "cannot create '%s'", p);
		*s = '/';
	}
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		return tk_err_errno(err, "cannot create store '%s'", p);
	return 0;
}

int
store_open(struct tk_store *st, const char *root, bool create, struct tk_err *err)
{
	cleanup_free char *path = NULL;
	cleanup_close int fd = -1;
	struct stat sb;

	/* The modes tk gives are the ones it means (a container's upper
	 * directory is its /, 0755), whatever the caller's umask: the store
	 * itself is 0700, so nothing in it is anyone else's to reach. */
	umask(022);
	if (!root || !*root)
		root = getenv("TK_ROOT");
	path = root && *root ? xstrdup(root) : default_root();
	if (!path)
		return tk_err_set(err, "cannot find a home directory for the store: set TK_ROOT");
	/* The store is there on every start but the first: create its
	 * path only when it is missing (a mkdir per component otherwise). */
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdir_parents(path, err) < 0)
			return -1;
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		return tk_err_errno(err, "cannot open store '%s'", path);
	if (fstat(fd, &sb) < 0)
		return tk_err_errno(err, "cannot stat store '%s'", path);
	if (sb.st_uid != getuid())
		return tk_err_set(err, "store '%s' is not owned by you: use --root or TK_ROOT", path);
	if (sb.st_mode & 077) {
		if (fchmod(fd, 0700) < 0)
			return tk_err_errno(err, "cannot make store '%s' private", path);
	}
	for (int i = 0; create && subdirs[i]; i++)
		if (mkdirat(fd, subdirs[i], 0700) < 0 && errno != EEXIST)
			return tk_err_errno(err, "cannot create '%s/%s'", path, subdirs[i]);
	st->fd = steal_fd(&fd);
	st->path = steal_ptr(&path);
	st->uid = getuid();
	return 0;
}

void
store_close(struct tk_store *st)
{
	if (st->fd >= 0)
		close(st->fd);
	free(st->path);
	st->fd = -1;
	st->path = NULL;
}

int
store_lock(struct tk_store *st, struct tk_err *err)
{
	int fd = openat(st->fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return tk_err_errno(err, "cannot open the store lock");
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			tk_err_errno(err, "cannot lock the store");
			close(fd);
			return -1;
		}
	}
	return fd;
}

int
store_dir(struct tk_store *st, const char *name, struct tk_err *err)
{
	int fd = openat(st->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT) {
		if (mkdirat(st->fd, name, 0700) < 0 && errno != EEXIST)
			return tk_err_errno(err, "cannot create '%s/%s'", st->path, name);
		fd = openat(st->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return tk_err_errno(err, "cannot open '%s/%s'", st->path, name);
	return fd;
}
