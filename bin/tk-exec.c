/*
 * tk-exec: run a command in a running container.
 *
 * The story: resolve the container in the caller's store, refuse one that
 * is not running, work out the environment, user and working directory
 * (the container's, then our flags), then exec tk-helper's exec verb
 * (chain-loading, as tk-run: the helper's status is the command's). The
 * helper pins the container by the root-owned record and joins it with
 * the caller's own credentials.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "container.h"
#include "helper.h"
#include "protocol.h"
#include "pty.h"
#include "store.h"
#include "user.h"
#include "util.h"
#include "banned.h"

static const char usage_text[] =
	"Usage: tk-exec [OPTIONS] CONTAINER COMMAND [ARG...]\n"
	"Run COMMAND in a running container, with the caller's standard streams.\n"
	"\n"
	"  -t, --tty             give the command a terminal of its own (a new pty)\n"
	"  -i, --interactive     accepted for docker's -it; stdin is always passed on\n"
	"  -e, --env KEY=VALUE   set an environment variable (KEY alone: take it from here)\n"
	"  -w, --workdir DIR     working directory (default: the container's)\n"
	"  -u, --user USER[:GROUP]  user (name or uid) and group (default: the container's)\n"
	"      --root DIR        the store (default: $TK_ROOT, ~/.local/share/tk)\n"
	"      --help            show this help\n"
	"\n"
	"Exit status: the command's own; 125 if tk failed (the container is not\n"
	"running, say), 126 if the command cannot be executed, 127 if it was not found.\n";

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "env", required_argument, NULL, 'e' },
		{ "tty", no_argument, NULL, 't' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	struct tk_store st = { .fd = -1 };
	struct tk_container c;
	struct tk_err err;
	cleanup_strv char **envflags = NULL;
	const char *root = NULL, *user = NULL, *workdir = NULL;
	const char **hargv = xcalloc(TK_MAX_ARGS, sizeof(*hargv));
	char home[256], qbuf[96];
	uint32_t uid, gid;
	bool tty = false;
	int opt, n;

	tk_prog = "tk-exec";
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+ite:w:u:", opts, NULL)) != -1) {
		switch (opt) {
		case 'e': strv_push(&envflags, optarg); break;
		case 't': tty = true; break;
		case 'i': break;   /* stdin is the caller's already */
		case 'w':
			if (optarg[0] != '/' || strlen(optarg) >= 4096)
				tk_die(125, "bad --workdir '%s': must be an absolute path",
				       tk_quote(optarg, qbuf, sizeof(qbuf)));
			workdir = optarg;
			break;
		case 'u': user = optarg; break;
		case 'r': root = optarg; break;
		case 'H': return tk_print_help(usage_text);
		default: tk_usage_error("bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		tk_usage_error("no container given");
	if (optind + 1 >= argc)
		tk_usage_error("no command given");
	if (store_open(&st, root, false, &err) < 0 ||
	    container_resolve(&st, argv[optind], &c, &err) < 0)
		tk_die_err(125, &err);
	if (c.state != TK_RUNNING)
		tk_die(125, "container '%s' is not running (tk-start it first)",
		       tk_quote(argv[optind], qbuf, sizeof(qbuf)));

	uid = c.uid;
	gid = c.gid;
	if (user && user_resolve(&st, c.layers, user, &uid, &gid, home, &err) < 0)
		tk_die_err(125, &err);
	if (env_add_flags(&c.env, envflags, &err) < 0)
		tk_die_err(125, &err);

	/* The helper's fixed grammar (helper/protocol.h). */
	n = helper_argv(hargv);
	hargv[n++] = "exec";
	if (tty)
		hargv[n++] = "--tty";
	if (c.unconfined) {
		hargv[n++] = "--seccomp";
		hargv[n++] = "unconfined";
	}
	hargv[n++] = "--user";
	hargv[n++] = xasprintf("%u:%u", uid, gid);
	hargv[n++] = "--workdir";
	hargv[n++] = workdir ? workdir : c.workdir && c.workdir[0] == '/' ? c.workdir : "/";
	for (size_t i = 0; c.env && c.env[i] && n < TK_MAX_ARGS - 300; i++) {
		hargv[n++] = "--env";
		hargv[n++] = c.env[i];
	}
	hargv[n++] = c.id;
	hargv[n++] = "--";
	for (int i = optind + 1; i < argc; i++) {
		if (n >= TK_MAX_ARGS - 1)
			tk_die(125, "too many arguments");
		hargv[n++] = argv[i];
	}
	hargv[n] = NULL;
	if (getuid() == 0) {
		unsetenv("SUDO_UID");
		unsetenv("SUDO_GID");
	}
	if (tty) {
		int r = pty_run(-1, hargv, &err);
		if (r < 0)
			tk_die_err(125, &err);
		return r;
	}
	execvp(hargv[0], (char *const *)hargv);
	tk_die(125, "cannot run %s: %s", hargv[0], strerror(errno));
}
