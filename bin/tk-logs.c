/*
 * tk-logs: print the logs of a detached container (tk-run -d): its stdout
 * to stdout, its stderr to stderr. -f follows until the container's
 * monitor is gone, so `tk-logs -f ID` ends when the container does.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container.h"
#include "logs.h"
#include "store.h"
#include "util.h"
#include "banned.h"

static const char usage_text[] =
	"Usage: tk-logs [OPTIONS] CONTAINER\n"
	"Print the output of a container run with tk-run -d: its stdout on stdout,\n"
	"its stderr on stderr.\n"
	"\n"
	"  -f, --follow       keep printing new output until the container ends\n"
	"  -n, --tail N       only the last N lines\n"
	"  -t, --timestamps   start each line with the time it was written\n"
	"      --root DIR     the store (default: $TK_ROOT, ~/.local/share/tk)\n"
	"      --help         show this help\n";

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "tail", required_argument, NULL, 'n' },
		{ "timestamps", no_argument, NULL, 't' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	struct tk_store st = { .fd = -1 };
	struct tk_container c;
	struct tk_err err;
	struct logs_opts lo = { .tail = -1 };
	const char *root = NULL;
	cleanup_close int dfd = -1;
	cleanup_free char *dir = NULL;
	char *end;
	int opt;

	tk_prog = "tk-logs";
	opterr = 0;
	signal(SIGPIPE, SIG_DFL);
	while ((opt = getopt_long(argc, argv, "fn:t", opts, NULL)) != -1) {
		switch (opt) {
		case 'f': lo.follow = true; break;
		case 'n':
			if (!strcmp(optarg, "all")) {
				lo.tail = -1;
				break;
			}
			errno = 0;
			lo.tail = strtol(optarg, &end, 10);
			if (errno || *end || optarg[0] < '0' || optarg[0] > '9')
				tk_usage_error("bad --tail '%s': a number of lines, or 'all'", optarg);
			break;
		case 't': lo.timestamps = true; break;
		case 'r': root = optarg; break;
		case 'H': return tk_print_help(usage_text);
		default: tk_usage_error("bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		tk_usage_error(optind >= argc ? "no container given" : "one container at a time");
	if (store_open(&st, root, false, &err) < 0 ||
	    container_resolve(&st, argv[optind], &c, &err) < 0)
		tk_die_err(1, &err);
	dir = xasprintf("containers/%s", c.id);
	dfd = openat(st.fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		tk_die(1, "cannot open container '%.12s': %s", c.id, strerror(errno));
	if (logs_print(dfd, &lo, &err) < 0)
		tk_die_err(1, &err);
	container_free(&c);
	return 0;
}
