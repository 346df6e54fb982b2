/* What several tools do with their command line alike. */
#ifndef TK_CLI_H
#define TK_CLI_H
#include <stdbool.h>

#include "err.h"

/*
 * fn(ctx, ref) for each of argv[first..argc-1]; an argument "-" stands
 * for the lines of stdin (NUL-separated with nul), empty ones skipped.
 * Goes on past failures; returns 1 when fn failed (returned < 0) for any,
 * else 0.
 */
int cli_each_ref(int argc, char **argv, int first, bool nul,
		 int (*fn)(void *ctx, const char *ref), void *ctx);

/* KEY=VALUE into the environment vector *env, replacing KEY's value. */
void env_set(char ***env, const char *kv);
/* Whether *env has KEY. */
bool env_has(char **env, const char *key);
/* -e flags (tk-run, tk-exec): KEY=VALUE as it is, KEY alone from our
 * own environment (left out when unset). -1 and err for "", "=X". */
int env_add_flags(char ***env, char **flags, struct tk_err *err);

#endif
