/*
 * The container runtime of tk's tools (tk-run, tk-start, tk-monitor,
 * tk-exec): everything of starting and entering a container that needs
 * no privilege. It runs as the caller, in the caller's process; the
 * privileged steps are the setuid helper's (its `start` and `join`
 * verbs, helper/protocol.h). Like the helper it either succeeds or ends
 * the process with a fixed status (die()), and uses libc only: it is
 * linked into the static tk-monitor too.
 */
#ifndef TK_RT_H
#define TK_RT_H
#include <stdbool.h>
#include <stdint.h>

#include "payload.h"

/* The program named in die()'s messages ("tk-run" unless set). */
extern const char *rt_prog;
/* In G, from its go byte on: die() writes TK_NOTIFY_FAILED there. */
extern int die_notify_fd;
/* Called by die() before it exits (run.c: reap the early helper, remove
 * an unstarted --rm container). */
extern void (*die_hook)(void);
int openat_beneath(int dirfd, const char *path, int flags, uint64_t resolve);
/* A directory beneath DIRFD in the store, as above, or die(). */
int open_store_dir(int dirfd, const char *name);

/* run.c: the run grammar (helper/protocol.h, "run"): ARGV[0] is "run".
 * The store is on TK_STORE_FD, with --notify or --tty a unix socket on
 * TK_NOTIFY_FD. Returns the payload's exit status, or TK_EXIT_FAIL with
 * the message on stderr. */
int rt_run(int argc, char **argv);
/* Start the helper for the next rt_run() of this process now, with the
 * run's --userns host and limits (the rest follows from rt_run), so that
 * its start-up overlaps the caller's own work. Should we exit first, it
 * sees EOF and exits quietly. */
void rt_spawn_helper(bool userns_host, int nlimits, char *const *limits);

/* mount.c */
struct rootfs_spec {
	const char *id;           /* containers/<id> in the store */
	const char *const *layers;
	int nlayers;              /* bottom first */
	bool userns;              /* false only for --userns host */
	bool net_host;
	bool scratch;             /* --rm: the upper layer is thrown away at the end */
};
/* In G, inside the new namespaces, as root of the user namespace: build
 * the root filesystem and pivot into it. */
void rootfs_setup(const struct rootfs_spec *spec);

/* init.c: --init; returns in the child, which executes the payload. */
void init_fork(void);

#endif
