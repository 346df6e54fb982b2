/*
 * tk-login: keep registry credentials for tk-pull.
 *
 *   printf '%s\n' "$PASSWORD" | tk-login -u USER --password-stdin REGISTRY
 *   tk-login --logout REGISTRY
 *
 * The credentials are checked with the registry first, then written to
 * $XDG_CONFIG_HOME/tk/auth.json (~/.config/tk/auth.json), mode 0600, or
 * --authfile FILE. Never prompts: the password comes on stdin.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "ref.h"
#include "registry.h"
#include "util.h"
#include "banned.h"

static const char usage[] =
	"Usage: tk-login -u USER --password-stdin [OPTIONS] REGISTRY\n"
	"       tk-login --logout [--authfile FILE] REGISTRY\n"
	"Check registry credentials and keep them for tk-pull.\n"
	"\n"
	"  -u, --username USER   the user name\n"
	"      --password-stdin  read the password from stdin (one line)\n"
	"      --authfile FILE   write FILE instead of $XDG_CONFIG_HOME/tk/auth.json\n"
	"      --insecure        allow plain HTTP and unverified TLS for this registry\n"
	"      --logout          forget the credentials for REGISTRY\n"
	"      --help            show this help\n"
	"\n"
	"REGISTRY is a host as in image names: docker.io, ghcr.io, 127.0.0.1:5000.\n"
	"Exit status: 0 done, 1 refused or failed, 2 usage error.\n";

static char *
read_password(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, stdin);

	if (n <= 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = 0;
	return line;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "username", required_argument, NULL, 'u' },
		{ "password-stdin", no_argument, NULL, 'p' },
		{ "authfile", required_argument, NULL, 'A' },
		{ "insecure", no_argument, NULL, 'I' },
		{ "logout", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *user = NULL, *authfile = NULL;
	bool from_stdin = false, logout = false, insecure = false;
	cleanup_free char *own = NULL, *pass = NULL, *creds = NULL;
	struct image_ref ref;
	struct tk_err err = { 0 };
	char host[256];
	int c;

	tk_prog = "tk-login";
	opterr = 0;
	while ((c = getopt_long(argc, argv, "u:", longopts, NULL)) != -1) {
		switch (c) {
		case 'u': user = optarg; break;
		case 'p': from_stdin = true; break;
		case 'A': authfile = optarg; break;
		case 'I': insecure = true; break;
		case 'L': logout = true; break;
		case 'h': return tk_print_help(usage);
		default: tk_usage_error("bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		tk_usage_error(optind == argc ? "missing REGISTRY" : "too many arguments");
	/* A host alone: parse it as HOST/x so the reference rules apply. */
	{
		cleanup_free char *probe = xasprintf("%s/x", argv[optind]);
		if (strchr(argv[optind], '/') || ref_parse(probe, &ref, &err) < 0)
			tk_usage_error("'%s' is not a registry host", argv[optind]);
		snprintf(host, sizeof(host), "%s", ref.host);
	}
	if (!authfile)
		authfile = own = auth_default_file();
	if (logout) {
		if (user || from_stdin)
			tk_usage_error("--logout takes no credentials");
		if (auth_store(authfile, host, NULL, NULL, &err) < 0)
			tk_die_err(1, &err);
		printf("Removed login credentials for %s\n", host);
		return 0;
	}
	if (!user || !from_stdin)
		tk_usage_error("give -u USER and --password-stdin (tk-login never prompts)");
	if (!*user || strchr(user, ':'))
		tk_usage_error("bad user name '%s'", user);
	pass = read_password();
	if (!pass || !*pass)
		tk_die(1, "no password on stdin");
	creds = xasprintf("%s:%s", user, pass);
	{
		struct registry_opts ro = { .insecure = insecure, .auth = { creds, NULL } };
		if (registry_login(host, &ro, &err) < 0)
			tk_die_err(1, &err);
	}
	if (auth_store(authfile, host, user, pass, &err) < 0)
		tk_die_err(1, &err);
	explicit_bzero(pass, strlen(pass));
	explicit_bzero(creds, strlen(creds));
	printf("Login Succeeded\n");
	if (fflush(stdout) != 0)
		tk_die(1, "cannot write to stdout");
	return 0;
}
