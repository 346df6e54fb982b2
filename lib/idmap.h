/*
 * The caller's subordinate id ranges, read from /etc/subuid and /etc/subgid
 * (unprivileged, for diagnostics only: the helper does its own checks when
 * it writes the maps).
 */
#ifndef TK_IDMAP_H
#define TK_IDMAP_H
#include <stdbool.h>
#include <sys/types.h>

#include "err.h"

struct idmap_range {
	unsigned long start;
	unsigned long count;
};

/* Find the first range for user (name or decimal uid) in file. Returns 1
 * when found, 0 when none, -1 when the file cannot be read (ENOENT counts
 * as none). */
int idmap_find_range(const char *file, uid_t uid, struct idmap_range *r, struct tk_err *err);
/* How many ids a layer can keep: 1 + the caller's subuid count (the
 * smaller of subuid and subgid). */
unsigned long idmap_mapped_count(uid_t uid);

#endif
