/* Small shared helpers: cleanup attributes, memory, files by dirfd. */
#ifndef TK_UTIL_H
#define TK_UTIL_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

static inline void cleanup_freep(void *p) { extern void free(void *); free(*(void **)p); }
void cleanup_closep(int *fd);
void cleanup_strvp(char ***v);
#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_close __attribute__((cleanup(cleanup_closep)))
#define cleanup_strv __attribute__((cleanup(cleanup_strvp)))

static inline int steal_fd(int *fd) { int r = *fd; *fd = -1; return r; }
#define steal_ptr(pp) ({ __typeof__(*(pp)) _p = *(pp); *(pp) = NULL; _p; })

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* NULL-terminated string vectors. */
size_t strv_len(char *const *v);
void strv_free(char **v);
char **strv_dup(char *const *v);
void strv_push(char ***v, const char *s);
/* Whether v (may be NULL) holds s. */
bool strv_has(char *const *v, const char *s);

/* [a-z0-9][a-z0-9_.-]{0,63}: container and image names (SECURITY.md 16). */
bool tk_valid_name(const char *s);
/* s with control characters escaped (\n, \xNN) and cut to fit n bytes, so
 * a hostile name never breaks a one-line message. Returns buf. */
const char *tk_quote(const char *s, char *buf, size_t n);
/* 64 lower-case hex digits. */
bool tk_valid_hex64(const char *s);
/* Fill buf (65 bytes) with a random 64-hex-digit id. */
int tk_random_id(char buf[65], struct tk_err *err);

/* Read all of fd (at most max bytes, else an error naming what);
 * NUL-terminated. */
char *read_fd_all(int fd, size_t max, size_t *len, const char *what, struct tk_err *err);
/* Read a whole file beneath dirfd (at most max bytes); NUL-terminated. */
char *read_file_at(int dirfd, const char *name, size_t max, size_t *len, struct tk_err *err);
/* Crash-safe replace: write name.tmp.PID, fsync, rename over name. */
int write_file_at(int dirfd, const char *name, const void *data, size_t len,
		  mode_t mode, struct tk_err *err);
/* The same; sync=false skips the fsync, for records that may be lost in
 * a crash without harm (a container's own record: the container goes
 * with it). */
int write_file_sync_at(int dirfd, const char *name, const void *data, size_t len,
		       mode_t mode, bool sync, struct tk_err *err);
/* write(2) to a pipe whose reader may be gone (a child that exited):
 * EPIPE then, never a SIGPIPE that kills the caller. */
ssize_t write_nosigpipe(int fd, const void *buf, size_t n);
/* Remove name beneath dirfd recursively, never following symlinks or
 * crossing mounts. ENOENT is success. */
int rm_tree_at(int dirfd, const char *name, struct tk_err *err);

/* "3 minutes ago", "About an hour ago", as docker ps prints. */
void tk_human_ago(long long secs, char *buf, size_t n);
long long tk_now(void);

#endif
