/*
 * tk-ls's cache: what it read of each container the last time, so that a
 * listing of a thousand stopped containers costs one system call each
 * (the stat of its exit file), or two (and its record) when records
 * were added since, and no JSON parse.
 *
 * What is kept, and why it cannot go stale:
 * - the summary tk-ls prints of container.json (name, image, image_id,
 *   argv, created): container.json is written once, when the container
 *   is made, and never again; an ID is 256 random bits, never reused.
 * - the exit status, the oom mark and the finishing time, with the stamp
 *   (inode, size, mtime, ctime) that the exit file had *before* they
 *   were read: they are used only while the exit file still has that
 *   stamp, so a new run's status is always read again. (The helper
 *   writes the oom mark before the exit file.)
 * - which containers had a record in /run/tk/UID (live or stale), with
 *   the directory's stamp: while it has that stamp no record was added,
 *   so the record of any other container need not be opened.
 * Never kept: whether a container runs. A record that is there is read,
 * with /proc, every time, so a killed monitor or a reboot shows the
 * truth.
 *
 * The file is <store>/ls-cache, the caller's own, rewritten (through
 * tmp/ and a rename) only when something changed; one that is missing,
 * unreadable or malformed is an empty cache. Failing to write it is not
 * an error: the next tk-ls reads the containers again.
 */
#ifndef TK_LSCACHE_H
#define TK_LSCACHE_H
#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>

#include "container.h"
#include "store.h"

struct ls_cache;

/* Never NULL. */
struct ls_cache *ls_cache_open(struct tk_store *st);
/* The record directory (its stat, NULL when there is none, taken after
 * the time before): whether it is as the last scan found it, and the
 * stamp for the next file. Called before any record is opened. */
void ls_cache_records(struct ls_cache *lc, const struct stat *dir,
		      const struct timespec *before);
/* id has no record, surely: the directory is as it was when the last
 * scan found none for it. Its record need not be opened. */
bool ls_cache_no_record(struct ls_cache *lc, const char *id);
/* This scan found a record of id (live or stale). */
void ls_cache_record_seen(struct ls_cache *lc, const char *id);
/* Whether the entry of id has an exit status (and so wants a stat of the
 * exit file to be checked against). */
bool ls_cache_has_exit(struct ls_cache *lc, const char *id);
/* The cached entry of id, or -1. With exit_st (the exit file's stat, or
 * NULL when there is none) matching its stamp, *state is true and c's
 * state fields are filled (TK_EXITED, exit_code, oom_killed, finished);
 * the summary fields of c (name, image, image_id, argv, created) are
 * filled whenever an entry is found. */
int ls_cache_get(struct ls_cache *lc, const char *id, const struct stat *exit_st,
		 struct tk_container *c, bool *state);
/* Keep entry i as it is in the next cache. */
void ls_cache_keep(struct ls_cache *lc, int i);
/* Put c's summary in the next cache, with its exit status when exit_st
 * (the exit file's stat from before it was read) is not NULL. */
void ls_cache_put(struct ls_cache *lc, const struct tk_container *c, const struct stat *exit_st);
/* Write the next cache if it differs from the one read; free lc. */
void ls_cache_close(struct ls_cache *lc, struct tk_store *st);

#endif
