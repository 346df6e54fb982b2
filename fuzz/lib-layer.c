/* libFuzzer: the layer extractor (lib/layer.c, SECURITY.md 29-30) fed
 * with tar streams generated from the input: entries whose names, types,
 * modes, link targets, xattrs and contents come from a dictionary of the
 * attack table's tricks (.., absolute names, .wh. forms, symlinks out of
 * the layer, hardlinks to them, device nodes), written by libarchive as
 * pax (and gzip) so every entry reaches tk's writer. Input byte 0 bit 0
 * set: the rest is fed raw instead (libarchive's readers, truncation).
 *
 * extract_fn runs in this process (so its coverage counts), not in the
 * user namespace layer_extract makes; as root it writes real owners and
 * modes, into a 0700 directory made for the run and emptied after every
 * input. The oracle: the extractor returns, and nothing beside the layer
 * directory (a canary directory next to it) was touched. */
#include <dirent.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>

#include "../lib/layer.c"

static const char *const parts[] = {
	"a", "b", "etc", "..", ".", "", ".wh.", ".wh..wh..opq", ".wh.a", ".wh.etc",
	".wh...", "x", "passwd", "dev", "canary", "\n", "a b", "n", "/", "./",
};
static const char *const targets[] = {
	"a", "../canary", "/etc", "../../..", "../../canary/f", "a/b", ".", "/",
	"etc/passwd", "../x", "canary/f", "", "b/../a",
};
static const mode_t modes[] = { 0644, 0755, 04755, 02755, 0777, 01777, 0, 0600 };
static const char *const xattrs[] = {
	"user.a", "trusted.overlay.opaque", "security.capability", "user.overlay.opaque",
	"system.posix_acl_access", "user.",
};

static char work[64];
static int workfd = -1;
static unsigned char tarbuf[1 << 20];

struct gen {
	const uint8_t *p;
	size_t n;
};

static unsigned
next(struct gen *g)
{
	if (!g->n)
		return 0;
	g->n--;
	return *g->p++;
}

static void
gen_name(struct gen *g, char *buf, size_t len)
{
	unsigned k = 1 + next(g) % 4;
	size_t at = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < k; i++) {
		unsigned c = next(g);
		const char *s = c == 255 ? NULL : parts[c % (sizeof(parts) / sizeof(*parts))];
		char longname[300];

		if (!s) {
			memset(longname, 'n', 256);
			longname[256] = 0;
			s = longname;
		}
		at += snprintf(buf + at, at < len ? len - at : 0, "%s%s", i ? "/" : "", s);
		if (at >= len)
			break;
	}
}

static size_t
gen_tar(struct gen *g)
{
	struct archive *a = archive_write_new();
	size_t used = 0;
	unsigned flags = next(g);

	archive_write_set_format_pax_restricted(a);
	if (flags & 2)
		archive_write_add_filter_gzip(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open_memory(a, tarbuf, sizeof(tarbuf), &used) != ARCHIVE_OK)
		abort();
	for (int i = 0; i < 64 && g->n; i++) {
		struct archive_entry *e = archive_entry_new();
		unsigned t = next(g), m = next(g);
		char name[1200], data[64];
		size_t len = 0;

		gen_name(g, name, sizeof(name));
		archive_entry_set_pathname(e, name);
		archive_entry_set_perm(e, modes[m % 8]);
		archive_entry_set_uid(e, m & 8 ? 0 : 1000);
		archive_entry_set_gid(e, m & 16 ? 0 : 1000);
		switch (t % 8) {
		case 1:
			archive_entry_set_filetype(e, AE_IFDIR);
			break;
		case 2:
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, targets[next(g) % 13]);
			break;
		case 3:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, targets[next(g) % 13]);
			break;
		case 4:
		case 7:
			archive_entry_set_filetype(e, t % 8 == 4 ? AE_IFCHR : AE_IFBLK);
			archive_entry_set_rdev(e, m & 32 ? makedev(1, 3) : makedev(0, 0));
			break;
		case 5:
			archive_entry_set_filetype(e, AE_IFIFO);
			break;
		default:
			archive_entry_set_filetype(e, AE_IFREG);
			len = next(g) % sizeof(data);
			for (size_t k = 0; k < len; k++)
				data[k] = next(g);
			archive_entry_set_size(e, len);
			break;
		}
		if (t & 8)
			archive_entry_xattr_add_entry(e, xattrs[(t >> 4) % 6], "y", 1);
		if (archive_write_header(a, e) == ARCHIVE_OK && len)
			archive_write_data(a, data, len);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	return used;
}

static void
setup(void)
{
	int fd;

	snprintf(work, sizeof(work), "/tmp/tk-fuzz-layer.XXXXXX");
	if (!mkdtemp(work) || chmod(work, 0700) < 0)
		abort();
	workfd = open(work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (workfd < 0 || mkdirat(workfd, "canary", 0755) < 0)
		abort();
	fd = openat(workfd, "canary/f", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, "canary\n", 7) != 7)
		abort();
	close(fd);
}

/* Only "canary" (as made) and, after a success, "layer" are in work. */
static void
oracle(void)
{
	DIR *d = fdopendir(dup(workfd));
	struct dirent *de;
	char buf[16];
	int fd, n = 0;

	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "layer") && (strcmp(de->d_name, "canary") || n++))
			abort();
	closedir(d);
	d = fdopendir(openat(workfd, "canary", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
	if (!d)
		abort();
	n = 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    (strcmp(de->d_name, "f") || n++))
			abort();
	closedir(d);
	fd = openat(workfd, "canary/f", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf)) != 7 || memcmp(buf, "canary\n", 7))
		abort();
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct layer_limits lim = {
		.max_entries = 1000, .max_depth = 64, .max_bytes = 8 << 20,
		.max_ratio = 200, .ratio_floor = 1 << 20,
	};
	struct layer_source src = { .what = "fuzz", .follow_fd = -1 };
	struct layer_result res;
	struct extract_arg a = { 0 };
	struct tk_err err = { 0 };
	struct gen g = { data + 1, size ? size - 1 : 0 };
	int fd;

	if (size < 1 || size > (1 << 20))
		return 0;
	if (workfd < 0)
		setup();
	fd = memfd_create("layer", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	if (data[0] & 1) {
		if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1))
			abort();
	} else {
		size_t n = gen_tar(&g);
		if (write(fd, tarbuf, n) != (ssize_t)n)
			abort();
	}
	lseek(fd, 0, SEEK_SET);
	src.fd = fd;
	memset(&res, 0, sizeof(res));
	a.dirfd = workfd;
	a.name = "layer";
	a.src = &src;
	a.lim = &lim;
	a.quiet = true;
	a.res = &res;
	(void)extract_fn(&a, &err);
	close(fd);
	oracle();
	if (faccessat(workfd, "layer", F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
	    rm_tree_at(workfd, "layer", &err) < 0)
		abort();
	return 0;
}
