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

#include "protocol.h"

_Noreturn void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
_Noreturn void die_errno(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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
/* Authorization and path failures: a generic message to the caller, the
 * detail to syslog (SECURITY.md 32). */
_Noreturn void die_denied(const char *detail, ...) __attribute__((format(printf, 1, 2)));
/* Base 10, whole string, no sign, ERANGE checked, <= max. */
bool parse_u32(const char *s, uint32_t max, uint32_t *out);
bool parse_u64(const char *s, uint64_t *out);
/* One read of a small file (procfs, cgroupfs, a record), NUL-terminated;
 * -1 when it cannot be opened or read. */
ssize_t read_small(int dirfd, const char *name, char *buf, size_t size);
void write_all_or_die(int fd, const char *buf, size_t len, const char *what);
/* Every id, real, effective and saved, the caller's for good; verified. */
void become_caller(void);
/* SECURITY.md 8: the helper's own limits. */
void limits_for_helper(void);

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
/* A process of the caller's, pinned: its /proc dir. */
int pin_caller_process(const char *verb, uint32_t pid);
/* Its user namespace: its own, a child of ours, the caller's. */
void check_callers_userns(const char *verb, int procfd, uint32_t pid);

/* start.c */
int verb_start(int argc, char **argv);
/* Shared with join.c. */
int open_record_dir(void);   /* /run/tk/<caller uid>, root-owned */
unsigned long long proc_starttime(pid_t pid, bool *zombie);

/* join.c */
int verb_join(int argc, char **argv);

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
/* A limit option of the start verb: true when A was one (and V is valid). */
bool cgroup_parse_opt(const char *a, const char *v, struct cg_limits *l);
/* Parent, root, before the clone, with the record dir locked: sweep the
 * caller's leftover cgroups, apply tk.conf's caps, create the container's
 * cgroup in every hierarchy and write its limits. */
void cgroup_setup(const struct cg_limits *l, const char *id, int recdir,
		  bool (*alive)(int recdir, const char *id));
void cgroup_enter(pid_t pid);      /* move G in, before "go" */
/* Fork the reaper, which waits on the runner's socket SOCK (start.c). */
void cgroup_start_reaper(int sock);
void cgroup_join(const char *id, pid_t pid, pid_t who);  /* join, root: WHO into pinned PID's */
/* Sizes for tk.conf: digits with an optional K, M, G or T (powers of 1024). */
bool parse_size(const char *s, uint64_t *out);

#endif
