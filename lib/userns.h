/*
 * Run code as root of a user namespace mapped with the caller's ids: 0
 * inside is the caller, 1.. are the caller's /etc/subuid and /etc/subgid
 * ranges. The map is written by `tk-helper idmap PID` (as newuidmap does).
 * Used to unpack layers (file owners survive) and to remove trees that hold
 * files owned by subordinate ids.
 */
#ifndef TK_USERNS_H
#define TK_USERNS_H
#include "err.h"

/* Fork; the child unshares a user namespace, has it mapped, becomes uid
 * and gid 0 in it and returns fn(arg, err). The child's error message comes
 * back through a pipe into *err. Returns fn's result (0 or -1). */
int userns_run(int (*fn)(void *arg, struct tk_err *err), void *arg, struct tk_err *err);

/* Remove dirfd/name recursively from inside a mapped user namespace. */
int userns_rm_tree(int dirfd, const char *name, struct tk_err *err);

#endif
