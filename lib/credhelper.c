#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "credhelper.h"
#include "json.h"
#include "util.h"
#include "banned.h"

#define ANSWER_MAX (64 << 10)

extern char **environ;

bool
credhelper_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
			return false;
	return true;
}

/* Run prog get, server on stdin; its stdout into *out. The exit status
 * in *status (as waitpid gives it). */
static int
run_get(const char *prog, const char *server, char **out, size_t *len, int *status,
	struct tk_err *err)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { (char *)prog, "get", NULL };
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 };
	pid_t pid;
	int r, ret = -1;
	size_t n = strlen(server);

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0) {
		tk_err_errno(err, "cannot create a pipe");
		goto out;
	}
	/* The server fits in the pipe: written before the helper starts,
	 * so a helper that never reads cannot make us block or SIGPIPE. */
	if (n >= 4096 || write(in[1], server, n) != (ssize_t)n) {
		tk_err_set(err, "cannot pass the server to %s", prog);
		goto out;
	}
	close(in[1]);
	in[1] = -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	r = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0) {
		errno = r;
		if (r == ENOENT)
			tk_err_set(err, "credential helper '%s' is not installed (not on PATH)",
				   prog);
		else
			tk_err_errno(err, "cannot run credential helper '%s'", prog);
		goto out;
	}
	close(outp[1]);
	outp[1] = -1;
	*out = read_fd_all(outp[0], ANSWER_MAX, len, prog, err);
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR) {
			tk_err_errno(err, "cannot wait for '%s'", prog);
			goto out;
		}
	ret = *out ? 0 : -1;
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (outp[i] >= 0)
			close(outp[i]);
	}
	return ret;
}

int
credhelper_get(const char *name, const char *server, const char *origin,
	       struct auth_creds *c, struct tk_err *err)
{
	cleanup_free char *prog = NULL, *answer = NULL;
	cleanup_json json_t *j = NULL;
	const char *user, *secret;
	size_t len = 0;
	int status = 0;
	char q[80];

	if (!credhelper_name_ok(name))
		return tk_err_set(err, "'%s': bad credential helper name '%s'", origin,
				  tk_quote(name, q, sizeof(q)));
	prog = xasprintf("docker-credential-%s", name);
	if (run_get(prog, server, &answer, &len, &status, err) < 0) {
		if (answer)
			explicit_bzero(answer, len);
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		bool none = strstr(answer, "credentials not found") != NULL;

		explicit_bzero(answer, len);
		if (none)
			return 0;
		return tk_err_set(err, "credential helper '%s' (from %s) failed for '%s'", prog,
				  origin, server);
	}
	j = json_parse_object(answer, len, prog, NULL);
	explicit_bzero(answer, len);
	user = json_str(j, "Username");
	secret = json_str(j, "Secret");
	if (!j || !user || !secret)
		return tk_err_set(err, "credential helper '%s' gave no Username and Secret for "
				  "'%s'", prog, server);
	if (!*user && !*secret)
		return 0;
	/* Username "<token>": Secret is an identity token (Docker's rule). */
	c->identity = !strcmp(user, "<token>");
	c->user = xstrdup(user);
	c->pass = xstrdup(secret);
	c->from = xasprintf("%s (%s)", prog, origin);
	return 1;
}
