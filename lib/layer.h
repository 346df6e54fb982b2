/*
 * Unpacking one layer (SECURITY.md rules 29-30). The tar stream is read with
 * libarchive and written by our own openat2-based writer, inside a user
 * namespace mapped with the caller's ids (userns_run), so image owners
 * survive and nothing can be written with more than the caller's rights.
 *
 * Every path is resolved beneath the layer with RESOLVE_BENEATH and
 * RESOLVE_NO_SYMLINKS: no symlink is ever followed, from this layer or
 * any other. Absolute paths, "..", bare ".wh." and hardlinks leaving the
 * layer are refused; device nodes, sockets and non-user.* xattrs (and
 * user.overlay.*) are skipped with a warning. OCI whiteouts become overlay
 * whiteouts: 0/0 character devices, and user.overlay.opaque=y on opaque
 * directories (the helper mounts overlay with userxattr).
 */
#ifndef TK_LAYER_H
#define TK_LAYER_H
#include <stdbool.h>

#include "err.h"

struct layer_limits {
	unsigned long long max_entries;  /* entries per layer */
	unsigned max_depth;              /* path components */
	unsigned long long max_bytes;    /* uncompressed tar stream */
	unsigned long long max_ratio;    /* uncompressed / compressed ... */
	unsigned long long ratio_floor;  /* ... checked once past this many bytes */
};

#define LAYER_LIMITS_DEFAULT { \
	.max_entries = 500000, \
	.max_depth = 256, \
	.max_bytes = 64ULL << 30, \
	.max_ratio = 200, \
	.ratio_floor = 64ULL << 20, \
}

struct layer_source {
	int fd;                     /* the layer blob, or a tar that holds it */
	const char *member;         /* NULL, or the member of the tar fd that is the blob */
	const char *what;           /* how messages name it */
	const char *expect_blob;    /* hex or NULL: sha256 of the (compressed) blob */
	const char *expect_diffid;  /* hex or NULL: sha256 of the uncompressed tar */
	int follow_fd;              /* -1, or a pipe: fd is a file still being written;
				     * a byte here means more was appended, EOF that
				     * the writer is done */
};

struct layer_result {
	char diffid[65];            /* sha256 of the uncompressed tar */
	char blob[65];              /* sha256 of the bytes read */
	long long size;             /* bytes of regular files */
	unsigned long long entries;
};

/* Unpack src into the new directory dirfd/name (which must not exist),
 * inside a mapped user namespace. Digests are checked at the end of the
 * stream; on any error (including a digest mismatch) the partial
 * directory is removed and -1 returned. quiet: no warnings on stderr. */
int layer_extract(int dirfd, const char *name, const struct layer_source *src,
		  const struct layer_limits *lim, bool quiet, struct layer_result *res,
		  struct tk_err *err);

/* The same in the background: a child process runs layer_extract and
 * layer_extract_wait collects it. keep_fds (n of them, besides 0-2 and
 * src's and dirfd) stay open in the child; every other descriptor is
 * closed there, so pipes of other jobs see their EOF. */
struct layer_job {
	int pid;
	struct layer_job_shared *shared;
};
int layer_extract_start(struct layer_job *job, int dirfd, const char *name,
			const struct layer_source *src, const struct layer_limits *lim,
			bool quiet, struct tk_err *err);
/* hang: wait for it, else 1 when it still runs. 0 done (res filled), -1
 * failed (err filled). */
int layer_extract_wait(struct layer_job *job, bool hang, struct layer_result *res,
		       struct tk_err *err);
/* Stop it (SIGKILL) and collect it. */
void layer_extract_kill(struct layer_job *job);

/* A background job started before its layer is known, so that the fork,
 * the user namespace and its id maps are ready when the first bytes come:
 * it waits for a struct layer_work on *give_fd (layer_worker_give), opens
 * part beneath partfd (or dirfd) and unpacks it into name beneath dirfd,
 * reading on as follow_fd says (struct layer_source). Collected with
 * layer_extract_wait and layer_extract_kill; closing *give_fd without a
 * job ends it with an error. */
struct layer_work {
	char name[32];
	char part[96];
	bool part_in_dirfd;
	char what[64];
	char expect_blob[65];       /* "" for none */
	char expect_diffid[65];
};
int layer_worker_start(struct layer_job *job, int dirfd, int partfd, int follow_fd,
		       const struct layer_limits *lim, bool quiet, int *give_fd,
		       struct tk_err *err);
int layer_worker_give(int give_fd, const struct layer_work *w, struct tk_err *err);

#endif
