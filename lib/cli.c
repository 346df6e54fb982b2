#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"
#include "banned.h"

int
cli_each_ref(int argc, char **argv, int first, bool nul,
	     int (*fn)(void *ctx, const char *ref), void *ctx)
{
	int sep = nul ? '\0' : '\n', failed = 0;

	for (int i = first; i < argc; i++) {
		cleanup_free char *line = NULL;
		size_t cap = 0;
		ssize_t len;

		if (strcmp(argv[i], "-")) {
			failed |= fn(ctx, argv[i]) < 0;
			continue;
		}
		while ((len = getdelim(&line, &cap, sep, stdin)) > 0) {
			if (line[len - 1] == sep)
				line[--len] = 0;
			if (len > 0)
				failed |= fn(ctx, line) < 0;
		}
	}
	return failed;
}

void
env_set(char ***env, const char *kv)
{
	size_t klen = strcspn(kv, "=");

	for (size_t i = 0; *env && (*env)[i]; i++)
		if (!strncmp((*env)[i], kv, klen) && (*env)[i][klen] == '=') {
			free((*env)[i]);
			(*env)[i] = xstrdup(kv);
			return;
		}
	strv_push(env, kv);
}

bool
env_has(char **env, const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; env && env[i]; i++)
		if (!strncmp(env[i], key, n) && env[i][n] == '=')
			return true;
	return false;
}

int
env_add_flags(char ***env, char **flags, struct tk_err *err)
{
	char qbuf[96];

	for (size_t i = 0; flags && flags[i]; i++) {
		const char *f = flags[i], *v;

		if (f[0] == '=' || !f[0])
			return tk_err_set(err, "bad -e '%s': use KEY=VALUE",
					  tk_quote(f, qbuf, sizeof(qbuf)));
		if (strchr(f, '=')) {
			env_set(env, f);
		} else if ((v = getenv(f))) {
			cleanup_free char *kv = xasprintf("%s=%s", f, v);
			env_set(env, kv);
		}
	}
	return 0;
}
