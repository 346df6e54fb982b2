/*
 * tk-helper internals. The helper is setuid root: every function here
 * either succeeds or ends the process with a fixed exit status (die()); it
 * never returns errors upward (STYLE.md).
 */
#ifndef TK_HELPER_H
#define TK_HELPER_H
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "payload.h"

/* Who is asking (SECURITY.md 11-12). Filled once at start-up. */
struct caller {
	uid_t uid;
	gid_t gid;
	bool root;          /* the caller is real root (not sudo mode) */
	char name[64];      /* login name, for /etc/subuid lookups */
};

/* One id range: inside, outside, count (a line of uid_map). */
struct idrange {
	uint32_t inside, outside, count;
};

struct idmap {
	struct idrange uid[2], gid[2];
	int nuid, ngid;
	bool subgid;        /* a subordinate gid range is mapped: setgroups allowed */
};

extern struct caller caller;
extern bool privileged;   /* SECURITY.md 9: tracked, never asked of geteuid() */

/* util.c */
extern int die_notify_fd;   /* run --notify, in G: die() writes a byte there */
extern void (*die_hook)(void);   /* die() calls it, once, before exiting */
/* Authorization and path failures: a generic message to the caller, the
 * detail to syslog (SECURITY.md 32). */
_Noreturn void die_denied(const char *detail, ...) __attribute__((format(printf, 1, 2)));
bool valid_hex64(const char *s);
/* Base 10, whole string, no sign, ERANGE checked, <= max. */
bool parse_u32(const char *s, uint32_t max, uint32_t *out);
bool parse_u64(const char *s, uint64_t *out);
/* One read of a small file (procfs, cgroupfs, a record), NUL-terminated;
 * -1 when it cannot be opened or read. */
ssize_t read_small(int dirfd, const char *name, char *buf, size_t size);
int openat_beneath(int dirfd, const char *path, int flags, uint64_t resolve);
void write_all_or_die(int fd, const char *buf, size_t len, const char *what);
/* Every id, real, effective and saved, the caller's for good; verified. */
void become_caller(void);
/* Temporarily switch file credentials to the caller (SECURITY.md 18). */
void fs_as_caller(void);
void fs_as_root(void);
/* SECURITY.md 8: the helper's own limits, and the caller's back. */
void limits_for_helper(void);
void limits_for_caller(void);

/* check.c: tk-helper check VERB ARGS... (as doas -C) */
extern bool check_only;
void check_begin(void);
/* The verb got past every check: report and exit 0. */
_Noreturn void check_allowed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* policy.c */
void policy_identify_caller(void);
/* Sudo mode: SUDO_UID/SUDO_GID checked and made the caller (true), or
 * not sudo mode (false). policy_load_config calls it too. */
bool policy_resolve_sudo(void);
void policy_load_config(void);
void policy_idmap(struct idmap *m);

/* idmap.c */
void idmap_write(int procfd, const struct idmap *m);
int verb_idmap(int argc, char **argv);

/* run.c */
int verb_run(int argc, char **argv);
void run_remove_if_refused(int argc, char **argv);
/* Shared with join.c. */
int open_record_dir(void);   /* /run/tk/<caller uid>, root-owned */
unsigned long long proc_starttime(pid_t pid, bool *zombie);

/* init.c: --init; returns in the child, which executes the payload. */
void init_fork(void);

/* join.c, and idmap.c's pin of a process of the caller's (its /proc dir) */
int verb_join(int argc, char **argv);
int pin_caller_process(const char *verb, uint32_t pid);

/* mount.c */
struct rootfs_spec {
	const char *id;           /* containers/<id> in the store */
	const char *const *layers;
	int nlayers;              /* bottom first */
	bool userns;              /* false only for --userns host */
	bool net_host;
	bool scratch;             /* --rm: the upper layer is thrown away at the end */
};
/* In the child, inside the new namespaces, as root of the user namespace:
 * build the root filesystem and pivot into it. */
void rootfs_setup(const struct rootfs_spec *spec);

/* policy.c: what tk.conf allows (SECURITY.md 13, 15). Zero: no cap. */
struct tk_policy {
	char cgroup_parent[256];  /* "/abs/path" or "rel/path" (under the caller's cgroup) */
	uint64_t max_memory;      /* bytes, per user */
	uint64_t max_cpu_quota;   /* microseconds per TK_CPU_PERIOD_US, per user */
	uint64_t max_pids;        /* per user */
	uint64_t max_containers;  /* running at once, per user */
};
extern struct tk_policy policy;

/* cgroup.c: the container's cgroup and its limits (SECURITY.md 28). */
enum {
	CG_MEM_MAX, CG_MEM_HIGH, CG_MEM_MIN, CG_MEM_LOW, CG_SWAP_MAX, CG_CPU_QUOTA,
	CG_CPU_WEIGHT, CG_PIDS_MAX, CG_IO_READ, CG_IO_WRITE, CG_NUM_LIMITS
};
struct cg_limits {
	uint64_t val[CG_NUM_LIMITS];
	uint32_t set;             /* bit i: val[i] was given */
	uint32_t io_major, io_minor;
	bool io_dev;
	bool always;              /* --cgroups enabled: a cgroup even without limits */
	char cpuset[TK_CPUSET_MAX + 1];
};
/* A limit option of the run verb: true when A was one (and V is valid). */
bool cgroup_parse_opt(const char *a, const char *v, struct cg_limits *l);
/* Parent, root, before the clone, with the record dir locked: sweep the
 * caller's leftover cgroups, apply tk.conf's caps, create the container's
 * cgroup in every hierarchy and write its limits. */
void cgroup_setup(const struct cg_limits *l, const char *id, int recdir,
		  bool (*alive)(int recdir, const char *id));
void cgroup_enter(pid_t pid);      /* parent, root: move G in, before "go" */
void cgroup_child_ns(void);        /* G: a cgroup namespace rooted at its cgroup */
void cgroup_start_reaper(void);    /* parent, root, just before the drop */
bool cgroup_oom_killed(void);      /* parent, after G ended */
void cgroup_finish(void);          /* parent: let the reaper remove the cgroup */
void cgroup_join(const char *id, pid_t pid, pid_t who);  /* join, root: WHO into pinned PID's */
/* Sizes for tk.conf: digits with an optional K, M, G or T (powers of 1024). */
bool parse_size(const char *s, uint64_t *out);

#endif
