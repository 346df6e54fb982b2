/* Starting a container: the runner's argv for it (tk-run, tk-start). */
#ifndef TK_START_H
#define TK_START_H
#include <stdbool.h>

#include "container.h"

struct start_opts {
	bool rm, detach, tty, init;
};

/* Fill hargv (TK_MAX_ARGS entries) with the run command for c, as
 * protocol.h gives its grammar ("run" first, for rt_run()): c's user,
 * workdir, env, layers, limits, network and command. Returns the count
 * (hargv[count] = NULL), or -1 and err when it does not fit. */
int start_run_argv(const struct tk_container *c, const struct start_opts *o,
		   const char **hargv, struct tk_err *err);

#endif
