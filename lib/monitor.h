/*
 * Detached containers (tk-run -d): start tk-monitor, which runs the helper
 * as its child and keeps the container's logs and exit status (see
 * bin/tk-monitor.c), and wait until the helper reports the container
 * running.
 */
#ifndef TK_MONITOR_H
#define TK_MONITOR_H
#include "err.h"
#include "store.h"

#define TK_CT_STARTED "started"   /* written once a detached run is up */

/* The monitor program: next to the running tool (a build tree), else in
 * the libexec directory; $TK_MONITOR overrides. */
const char *monitor_path(void);

/* Run hargv (the helper's argv, with --notify) under a new monitor, in a
 * session of its own, for container id. Returns 0 once the container is
 * running; otherwise the helper's exit status (125 when tk failed, 126,
 * 127), after copying its messages from the log to stderr. -1 and err
 * when the monitor could not be started at all. log_size: bytes, 0 for
 * the monitor's default. */
int monitor_start(struct tk_store *st, const char *id, const char *const *hargv,
		  long long log_size, struct tk_err *err);

#endif
