/*
 * The per-user store: $TK_ROOT, else --root, else /var/lib/tk for root and
 * $XDG_DATA_HOME/tk (~/.local/share/tk) for everyone else. Mode 0700,
 * owned by the user. Layout:
 *
 *   lock                   flock(2)ed around every change
 *   tmp/                   scratch; entries are removed by whoever finds them stale
 *   layers/<diffid-hex>/   one unpacked layer, complete once renamed in; overlay
 *                          whiteouts (0/0 char devices, user.overlay.opaque)
 *   images/<id>.json       image record (id = sha256 hex of the image config)
 *   containers/<id>/       container.json, upper/, work/, rootfs/, exit
 *   ls-cache               tk-ls's cache (lscache.h)
 */
#ifndef TK_STORE_H
#define TK_STORE_H
#include <stdbool.h>
#include <sys/types.h>

#include "err.h"

struct tk_store {
	int fd;       /* the root directory, O_DIRECTORY */
	char *path;
	uid_t uid;    /* getuid(): whose store this is */
};

/* root: an explicit --root or NULL. create: make the tree if missing. */
int store_open(struct tk_store *st, const char *root, bool create, struct tk_err *err);
void store_close(struct tk_store *st);
/* Take the store's exclusive lock; returns the fd that holds it. */
int store_lock(struct tk_store *st, struct tk_err *err);
/* Open one of the store's top-level directories (layers, images, ...). */
int store_dir(struct tk_store *st, const char *name, struct tk_err *err);

#endif
