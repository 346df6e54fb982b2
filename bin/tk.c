/*
 * tk: the front door. `tk run ...` runs `tk-run ...`, as git runs git-foo:
 * from tk's own directory first, then from PATH. Docker's names work too
 * (ps, images, rmi, logout).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "banned.h"

static const char usage_text[] =
	"Usage: tk COMMAND [ARG...]\n"
	"Run the tk tool for COMMAND: tk run ... is tk-run ...\n"
	"\n"
	"Commands:\n"
	"  pull      get an image (tk-pull)\n"
	"  run       run a container (tk-run)\n"
	"  ls, ps    list containers (tk-ls)\n"
	"  images    list images (tk-ls --images)\n"
	"  rm        remove containers (tk-rm)\n"
	"  exec      run a command in a running container (tk-exec)\n"
	"  doctor    check that this machine and you can run containers (tk-doctor)\n"
	"  logs      print a detached container's output (tk-logs)\n"
	"  stop      stop containers (tk-stop)\n"
	"  start     run stopped containers again (tk-start)\n"
	"  inspect   a container's configuration and state as JSON (tk-inspect)\n"
	"  rmi       remove images (tk-rm --image)\n"
	"  login     keep registry credentials (tk-login)\n"
	"  logout    forget them (tk-login --logout)\n"
	"\n"
	"See tk(7) and each tool's own --help.\n";

int
main(int argc, char **argv)
{
	const char *cmd, *extra = NULL;
	char self[PATH_MAX], *slash, **nargv;
	ssize_t n;
	int k = 0;

	tk_prog = "tk";
	if (argc < 2)
		tk_usage_error("no command given");
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		return tk_print_help(usage_text);
	}
	if (!strcmp(cmd, "ps"))
		cmd = "ls";
	else if (!strcmp(cmd, "images")) {
		cmd = "ls";
		extra = "--images";
	} else if (!strcmp(cmd, "rmi")) {
		cmd = "rm";
		extra = "--image";
	} else if (!strcmp(cmd, "logout")) {
		cmd = "login";
		extra = "--logout";
	}
	if (!tk_valid_name(cmd) || strchr(cmd, '.'))
		tk_usage_error("'%s' is not a tk command", argv[1]);
	nargv = xcalloc((size_t)argc + 2, sizeof(*nargv));
	nargv[k++] = xasprintf("tk-%s", cmd);
	if (extra)
		nargv[k++] = (char *)extra;
	for (int i = 2; i < argc; i++)
		nargv[k++] = argv[i];

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		if ((slash = strrchr(self, '/'))) {
			*slash = 0;
			char *path = xasprintf("%s/tk-%s", self, cmd);
			execv(path, nargv);
			free(path);
		}
	}
	execvp(nargv[0], nargv);
	if (errno == ENOENT)
		tk_die(1, "'%s' is not a tk command (no %s)", argv[1], nargv[0]);
	tk_die(126, "cannot run %s: %s", nargv[0], strerror(errno));
}
