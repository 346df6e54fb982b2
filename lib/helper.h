/* Client side of tk-helper: where it is, and how to call it. */
#ifndef TK_HELPER_CLIENT_H
#define TK_HELPER_CLIENT_H
#include <sys/types.h>

#include "err.h"

/* $TK_HELPER, else the installed path. */
const char *helper_path(void);
/* The argv prefix that runs the helper: {path} when it is setuid or the
 * caller is root, else {"sudo", "-n", "-C", "5", path} (sudo mode, see
 * sudoers.d/tk). Returns the number of entries written to argv (max 6). */
int helper_argv(const char **argv);
/* Run `helper idmap PID` and wait: 0 when it succeeded. */
int helper_idmap(int pid, struct tk_err *err);
/* Start `helper join ID PID` (PID into container ID's cgroups): the
 * helper's pid, or -1 and err. */
pid_t helper_join_start(const char *id, int pid, struct tk_err *err);
/* Wait for a helper so started: its exit status (its message on stderr),
 * or -1 and err. */
int helper_wait(pid_t child, struct tk_err *err);

#endif
