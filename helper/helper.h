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
_Noreturn void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
_Noreturn void die_errno(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
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
/* The parent of a container's process (run, exec, --init's pid 1): every
 * signal but the stop signals blocked; the signals in FWD forwarded to
 * CHILD, and every child reaped, until CHILD ends; then its exit status
 * (status_of). */
void block_forwarded(sigset_t *fwd);
int forward_until_exit(const sigset_t *fwd, pid_t child);
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
/* Shared with exec.c. */
int open_record_dir(void);   /* /run/tk/<caller uid>, root-owned */
unsigned long long proc_starttime(pid_t pid, bool *zombie);
int status_of(int wstatus);
void drop_privileges_for_good(void);
_Noreturn void exec_payload(char **argv, char **env);

#define MAX_ENV 1024
/* What run and exec both take: who the payload is, where, with what. */
struct payload {
	bool unconfined, have_user;
	uint32_t uid, gid;
	const char *workdir;
	char *env[MAX_ENV + 1];
	int nenv;
};
/* A flag option: true when A is NAME (bad() when it comes twice). */
bool flag_opt(const char *a, const char *name, bool *seen, void (*bad)(const char *what));
/* Option A (--seccomp, --user, --workdir or --env) with its value V into
 * P; a bad value is a usage error. False when A is none of these. */
bool payload_opt(const char *a, const char *v, struct payload *p,
		 void (*bad)(const char *what));
/* The last steps before exec, run and exec alike: drop to the payload's
 * ids, parent-death signal again, chdir and check it, the caller's
 * limits back, signals unblocked, seccomp last (SECURITY.md 26-27). */
void payload_enter(const struct payload *p, bool can_setgroups);
/* --tty: a pty from the container's devpts as ctty and stdio; the master
 * sent on sockfd. Call in a new session, inside the container's root. */
void tty_setup(int sockfd);
/* fd TK_NOTIFY_FD: a unix socket when wanted (made close-on-exec), else closed. */
void check_notify_fd(bool wanted);

/* init.c: --init; returns in the child, which executes the payload. */
void init_fork(void);

/* exec.c */
int verb_exec(int argc, char **argv);

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

/* seccomp.c: the default filter; last thing before exec. */
void seccomp_install(void);
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
void cgroup_join(const char *id, pid_t pid);  /* exec, root: into pinned PID's tk cgroups */
/* Sizes for tk.conf: digits with an optional K, M, G or T (powers of 1024). */
bool parse_size(const char *s, uint64_t *out);

#endif
