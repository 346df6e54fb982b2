/*
 * tk-start: run stopped containers again, with the command they were
 * created with and the changes they made to their root filesystem (the
 * seed's "container start"). In the background under tk-monitor, as
 * tk-run -d (their log goes on where it was); -a in the foreground, as
 * tk-run.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "container.h"
#include "monitor.h"
#include "protocol.h"
#include "rt.h"
#include "start.h"
#include "store.h"
#include "util.h"
#include "banned.h"

static const char usage_text[] =
	"Usage: tk-start [OPTIONS] CONTAINER...\n"
	"Run stopped containers again, with their command and their changes, in the\n"
	"background (as tk-run -d; see tk-logs).\n"
	"\n"
	"  -a, --attach    in the foreground instead, one container; exit with its status\n"
	"  -               read names from stdin, one per line\n"
	"      --root DIR  the store (default: $TK_ROOT, ~/.local/share/tk)\n"
	"      --help      show this help\n";

static bool attach;

static int
start_one(void *ctx, const char *ref)
{
	struct tk_store *st = ctx;
	const char **hargv = xcalloc(TK_MAX_ARGS, sizeof(*hargv));
	struct start_opts so = { .detach = !attach };
	struct tk_container c;
	struct tk_err err;
	int r;

	if (container_resolve(st, ref, &c, &err) < 0) {
		tk_warn("%s", err.msg);
		free(hargv);
		return -1;
	}
	if (c.state == TK_RUNNING) {
		puts(ref);   /* as docker start: already is */
		container_free(&c);
		free(hargv);
		return 0;
	}
	if (container_clear_status(st, &c, &err) < 0 ||
	    start_run_argv(&c, &so, hargv, &err) < 0) {
		tk_warn("cannot start '%s': %s", ref, err.msg);
		container_free(&c);
		free(hargv);
		return -1;
	}
	if (getuid() == 0) {
		unsetenv("SUDO_UID");
		unsetenv("SUDO_GID");
	}
	if (attach) {
		if ((st->fd == TK_STORE_FD ? fcntl(st->fd, F_SETFD, 0) : dup2(st->fd, TK_STORE_FD)) < 0)
			tk_die(125, "cannot pass the store: %s", strerror(errno));
		rt_prog = tk_prog;
		exit(rt_run(strv_len((char **)hargv), (char **)hargv));
	}
	r = monitor_start(st, c.id, hargv, 0, &err);
	if (r < 0)
		tk_warn("cannot start '%s': %s", ref, err.msg);
	else if (r > 0)
		tk_warn("cannot start '%s': exit status %d", ref, r);
	else
		puts(ref);
	container_free(&c);
	free(hargv);
	return r == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "attach", no_argument, NULL, 'a' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	struct tk_store st = { .fd = -1 };
	struct tk_err err;
	const char *root = NULL;
	int opt, failed = 0;

	tk_prog = "tk-start";
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "a", opts, NULL)) != -1) {
		switch (opt) {
		case 'a': attach = true; break;
		case 'r': root = optarg; break;
		case 'H': return tk_print_help(usage_text);
		default: tk_usage_error("bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		tk_usage_error("no container given");
	if (attach && (optind + 1 != argc || !strcmp(argv[optind], "-")))
		tk_usage_error("-a starts one container");
	if (store_open(&st, root, false, &err) < 0)
		tk_die_err(attach ? 125 : 1, &err);
	failed = cli_each_ref(argc, argv, optind, false, start_one, &st);
	if (fflush(stdout) != 0)
		tk_die(1, "write error");
	return failed ? (attach ? 125 : 1) : 0;
}
