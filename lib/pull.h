/*
 * Image sources for tk-pull:
 *   tar:PATH                          a rootfs tarball ('-' is stdin)
 *   oci:DIR[:TAG]                     an OCI image layout
 *   docker-archive:PATH[:NAME[:TAG]]  what docker save writes
 *   [docker://]REFERENCE              an image in a registry (lib/ref.h,
 *                                     lib/registry.h)
 * Layers are unpacked into tmp/pull-<pid>-<rand>/ (layer_extract), then,
 * under the store lock, renamed into layers/ and the record written.
 * Nothing is published when any digest, media type or limit check fails.
 */
#ifndef TK_PULL_H
#define TK_PULL_H
#include <stdbool.h>

#include "err.h"
#include "layer.h"
#include "store.h"

struct pull_opts {
	const char *name;          /* --name, or NULL */
	bool quiet;                /* no progress or warnings */
	struct layer_limits lim;
	/* registries */
	const char *platform;      /* --platform OS/ARCH[/VARIANT], or NULL */
	bool insecure;             /* plain HTTP or unverified TLS for any host */
	const char *creds;         /* --creds USER:PASS */
	const char *authfile;      /* --authfile FILE */
	int jobs;                  /* layers downloaded at a time (0: default) */
	unsigned long requests;    /* out: HTTP requests made */
};

/* Pull source into st; fill id (64 hex) with the image ID. */
int pull_source(struct tk_store *st, const char *source, struct pull_opts *o,
		char id[65], struct tk_err *err);
/* Remove tmp/ entries left by pulls and removals whose process is gone. */
void pull_clean_stale(struct tk_store *st, bool quiet);

#endif
