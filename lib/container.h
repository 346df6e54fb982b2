/*
 * Containers of the store: containers/<id>/container.json (what to run,
 * written by tk-run) plus the directories the helper mounts (upper, work,
 * rootfs) and the exit file the helper writes. Whether one is running is
 * decided from the helper's root-owned record /run/tk/<uid>/<id>, never
 * from the store.
 */
#ifndef TK_CONTAINER_H
#define TK_CONTAINER_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "store.h"

enum tk_state { TK_CREATED, TK_RUNNING, TK_EXITED };

struct tk_container {
	char id[65];
	char *name;
	char *image;        /* the reference the user gave */
	char image_id[65];
	char **argv, **env, **layers;
	char *workdir, *user, *hostname;
	uint32_t uid, gid;
	bool net_host, userns_host;
	bool unconfined;    /* --security-opt seccomp=unconfined */
	bool init;          /* --init */
	char **limits;      /* the helper's limit arguments, for tk-start */
	long long created;
	/* Filled by container_state(). */
	enum tk_state state;
	int exit_code;      /* -1 when unknown */
	bool oom_killed;    /* the memory limit killed a process (TK_CT_OOM) */
	pid_t pid;          /* pid 1 of the container while running */
	long long started, finished;
};

/* Make the directories and container.json; fills c->id. The name (or
 * none) must be free. Takes the store lock. */
int container_create(struct tk_store *st, struct tk_container *c, struct tk_err *err);
int container_load(struct tk_store *st, const char *id, struct tk_container *c,
		   struct tk_err *err);
/* By full id, name or unique id prefix, in that order. "no such
 * container: 'x'". */
int container_resolve(struct tk_store *st, const char *ref, struct tk_container *c,
		      struct tk_err *err);
/* All containers, newest first, with their state. */
int container_list(struct tk_store *st, struct tk_container **cs, size_t *n,
		   struct tk_err *err);
/* The same, only those in one state: the others cost one failed openat
 * (TK_ONLY_RUNNING) or a few (TK_ONLY_EXITED), and are never parsed. */
enum tk_filter { TK_ALL, TK_ONLY_RUNNING, TK_ONLY_EXITED };
int container_scan(struct tk_store *st, enum tk_filter f, struct tk_container **cs,
		   size_t *n, struct tk_err *err);
/* container_scan() for listings (tk-ls): only id, name, image, image_id,
 * argv, created and the state are filled, from tk-ls's cache where it
 * still holds (lscache.h), which this updates. */
int container_summaries(struct tk_store *st, enum tk_filter f, struct tk_container **cs,
			size_t *n, struct tk_err *err);
void container_state(struct tk_store *st, struct tk_container *c);
/* Signal pid 1 of a running container, pinned by pidfd and checked
 * against the record, and wait until it is gone: SIGKILL after
 * timeout_ms (-1: never) when sig did not end it. A container that is
 * not running is left alone (0). */
int container_stop(const struct tk_container *c, int sig, int timeout_ms, struct tk_err *err);
/* A pidfd of pid 1 of a running container, pinned and checked against
 * the record, in *pidfd (its pid, as we see it, in *pid unless NULL); -1
 * in both when it is not running. */
int container_pidfd(const struct tk_container *c, int *pidfd, pid_t *pid, struct tk_err *err);
/* Wait until the helper that ran the container has finished with it (its
 * exit status written): it holds a lock on the directory until then. */
int container_wait_finished(struct tk_store *st, const struct tk_container *c);
/* Remove a container that is not running. */
int container_delete(struct tk_store *st, struct tk_container *c, struct tk_err *err);
/* Forget the last run's exit status and OOM mark, before a new run:
 * should nothing record this one (monitor and helper both SIGKILLed),
 * the container shows exited with an unknown status, not the old one. */
int container_clear_status(struct tk_store *st, const struct tk_container *c, struct tk_err *err);
/* Remove a container whose start failed: as the caller when all of it is
 * the caller's own (it never ran), else as container_delete does. */
int container_discard(struct tk_store *st, struct tk_container *c, struct tk_err *err);
void container_free(struct tk_container *c);
void container_list_free(struct tk_container *cs, size_t n);
/* The status word of tk-ls and tk-inspect: created, running, exited, or
 * oom-killed (exited, and the memory limit killed a process of that
 * run; still TK_EXITED, so tk-ls --exited lists it). */
const char *container_status_name(const struct tk_container *c);
/* The command as one string, for tables. */
char *container_command(const struct tk_container *c);

#endif
