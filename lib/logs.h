/*
 * Logs of detached containers: containers/<id>/log and log.1 (the rotated
 * one), written by tk-monitor in the CRI format, one record a line:
 *
 *	2006-01-02T15:04:05.000000000Z stdout F text
 *
 * F ends a line of output, P is part of one (a long line, or the last
 * bytes without a newline). While the monitor lives it holds an flock on
 * containers/<id>/monitor.
 */
#ifndef TK_LOGS_H
#define TK_LOGS_H
#include <stdbool.h>

#include "err.h"

#define TK_CT_LOG "log"
#define TK_CT_LOG_OLD "log.1"
#define TK_CT_MONITOR "monitor"

struct logs_opts {
	bool follow;        /* until the monitor is gone */
	bool timestamps;    /* each line prefixed with its record's time */
	long tail;          /* the last N lines only; -1 for all */
	bool stderr_only;   /* only the container's stderr (tk-run -d errors) */
};

/* Print the logs of the container whose directory is ctdirfd: stdout
 * records to stdout, stderr records to stderr. Fails when the container
 * has no log (it was not run detached) or on a write error. */
int logs_print(int ctdirfd, const struct logs_opts *o, struct tk_err *err);
/* Whether a monitor is watching the container right now. */
bool logs_monitor_alive(int ctdirfd);

#endif
