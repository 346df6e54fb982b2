/*
 * -t for tk-run and tk-exec: the container's process gets a new pty of
 * its own and sends us its master (helper/protocol.h, --tty); we proxy
 * bytes between our terminal and that master. The container never gets
 * our terminal, so it cannot push input into it (TIOCSTI).
 */
#ifndef TK_PTY_H
#define TK_PTY_H
#include "err.h"

/* Run the run argv (which has --tty; rt_run) in our child, with storefd as fd
 * 3 (or none: -1) and the socket on fd 4; proxy until it ends. Our
 * terminal is in raw mode meanwhile, so ^C and ^Z go to the container's
 * pty, where they signal its foreground processes; the window size
 * follows ours (SIGWINCH). Returns the child's exit status (the
 * command's), or -1 and err when nothing could be started. */
int pty_run(int storefd, const char *const *argv, struct tk_err *err);
/* The same, with FN(ARG, the socket's fd) called in the child in place of
 * the runner (tk-exec): its return value is the child's exit status. */
int pty_run_fn(int (*fn)(void *arg, int sockfd), void *arg, struct tk_err *err);

#endif
