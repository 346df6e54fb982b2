/*
 * The last steps of a container's process before it executes the payload,
 * shared by run's G and tk-exec, which joins a container with the
 * caller's own credentials: nothing here needs or uses a privilege.
 * die() and die_errno() (rt/die.c) _exit.
 */
#ifndef TK_PAYLOAD_H
#define TK_PAYLOAD_H
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "protocol.h"

_Noreturn void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
_Noreturn void die_errno(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define MAX_ENV 1024
/* Who the payload is, where, with what. */
struct payload {
	bool unconfined, have_user;
	uint32_t uid, gid;
	const char *workdir;
	char *env[MAX_ENV + 1];
	int nenv;
};
/* Drop to the payload's ids and capabilities (SECURITY.md 26), the
 * parent-death signal again, chdir and check it, signals unblocked,
 * seccomp last (SECURITY.md 26-27). */
void payload_enter(const struct payload *p, bool can_setgroups);
/* execvpe with the container's PATH; exits 126 or 127 as Docker does. */
_Noreturn void exec_payload(char **argv, char **env);
/* --tty: a pty from the container's devpts as ctty and stdio; the master
 * sent on sockfd. Call in a new session, inside the container's root. */
void tty_setup(int sockfd);
/* The container's default filter; the last thing before exec. */
void seccomp_install(void);
/* The parent of a container's process (run, exec, --init's pid 1): every
 * signal but the stop signals blocked; the signals in FWD forwarded to
 * CHILD, and every child reaped, until CHILD ends; then its exit status
 * (status_of). */
void block_forwarded(sigset_t *fwd);
int forward_until_exit(const sigset_t *fwd, pid_t child);
int status_of(int wstatus);

#endif
