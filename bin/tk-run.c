/*
 * tk-run: create a container from an image and run it, in the foreground
 * or (-d) detached under tk-monitor.
 *
 * The story: resolve the image, work out the command, environment, user
 * and working directory from its config and our flags, create the
 * container in the store, then run it in this process (rt/run.c), which
 * calls tk-helper only for the privileged steps; our exit status is the
 * payload's.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "helper.h"
#include "image.h"
#include "cgroup-spec.h"
#include "cli.h"
#include "monitor.h"
#include "pty.h"
#include "rt.h"
#include "start.h"
#include "protocol.h"
#include "store.h"
#include "user.h"
#include "util.h"
#include "banned.h"

static const char usage_text[] =
	"Usage: tk-run [OPTIONS] IMAGE [COMMAND [ARG...]]\n"
	"Create a container from IMAGE and run COMMAND in it, in the foreground.\n"
	"\n"
	"  -d, --detach          run in the background, print the container's ID\n"
	"  -t, --tty             give the container a terminal of its own (a new pty)\n"
	"  -i, --interactive     accepted for docker's -it; stdin is always passed on\n"
	"      --init            a tiny init as pid 1: reaps zombies, forwards signals\n"
	"      --log-size SIZE   with -d: rotate the log at SIZE bytes (k, m; default 8m)\n"
	"  --rm                  remove the container when it exits\n"
	"  --name NAME           name the container\n"
	"  -e, --env KEY=VALUE   set an environment variable (KEY alone: take it from here)\n"
	"  -w, --workdir DIR     working directory inside the container\n"
	"  -u, --user USER[:GROUP]  user (name or uid) and group inside the container\n"
	"  -h, --hostname NAME   hostname inside the container (default: the short id)\n"
	"      --entrypoint CMD  override the image's entrypoint\n"
	"      --net none|host   network: loopback only (default) or the host's\n"
	"      --userns host     no user namespace (root only)\n"
	"      --security-opt seccomp=unconfined  no seccomp filter (default: tk's)\n"
	"      --root DIR        the store (default: $TK_ROOT, ~/.local/share/tk)\n"
	"      --help            show this help\n"
	"\n"
	"Resource limits (SIZE: bytes, or a number with B, K, M, G or T):\n"
	"  -m, --memory-max SIZE     memory limit; over it the kernel kills (exit 137)\n"
	"      --memory-high SIZE    throttle memory above this (cgroup v2)\n"
	"      --memory-min SIZE     memory protected from reclaim (cgroup v2)\n"
	"      --memory-low SIZE     best-effort memory protection (cgroup v2)\n"
	"      --memory-swap-max SIZE  swap limit\n"
	"      --cpus N              CPU time of N CPUs (0.01-1024, like 1.5)\n"
	"      --cpu-quota PERCENT   CPU time as a percentage of one CPU (1-100)\n"
	"      --cpu-weight N        CPU share against other cgroups (1-10000, default 100)\n"
	"      --cpuset-cpus LIST    run on these CPUs only (like 0-1,3)\n"
	"      --io-read-bps SIZE    read bytes per second on the store's disk\n"
	"      --io-write-bps SIZE   write bytes per second on the store's disk\n"
	"      --io-device DEV       the disk for the io limits (MAJ:MIN or /dev/...)\n"
	"      --pids-max N          most processes at once (1-4194304)\n"
	"      --memmax --memhigh --memmin --cpuquota --ioread --iowrite: the same\n"
	"      --cgroups enabled     a cgroup of its own even without limits (tk-stats\n"
	"                            figures); default auto: only with a limit\n"
	"\n"
	"Exit status: the command's own; 125 if tk failed, 126 if the command cannot\n"
	"be executed, 127 if it was not found, 128+N if it was killed by signal N.\n";

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rm", no_argument, NULL, 'R' },
		{ "detach", no_argument, NULL, 'd' },
		{ "tty", no_argument, NULL, 't' },
		{ "init", no_argument, NULL, 'I' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "log-size", required_argument, NULL, 'L' },
		{ "name", required_argument, NULL, 'n' },
		{ "env", required_argument, NULL, 'e' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' },
		{ "hostname", required_argument, NULL, 'h' },
		{ "entrypoint", required_argument, NULL, 'E' },
		{ "net", required_argument, NULL, 'N' },
		{ "network", required_argument, NULL, 'N' },
		{ "userns", required_argument, NULL, 'U' },
		{ "security-opt", required_argument, NULL, 'S' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	struct tk_store st = { .fd = -1 };
	struct tk_image img = { 0 };
	struct tk_container c = { 0 };
	struct tk_limits limits = { 0 };
	struct option *allopts = limits_options(opts);
	struct tk_err err;
	cleanup_strv char **envflags = NULL, **cmd = NULL, **entry = NULL;
	const char *root = NULL, *user = NULL, *entrypoint = NULL;
	bool rm = false, entry_set = false, detach = false, tty = false, init = false;
	long long log_size = 0;
	char home[256], hostbuf[16], qbuf[96];
	const char **hargv = xcalloc(TK_MAX_ARGS, sizeof(*hargv));
	int opt;

	tk_prog = "tk-run";
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+dite:w:u:h:m:", allopts, NULL)) != -1) {
		if (opt == 'm')
			opt = LIMIT_OPT_BASE;   /* -m: --memory-max */
		if (opt >= LIMIT_OPT_BASE && opt < LIMIT_OPT_END) {
			limits_flag(&limits, opt, optarg);
			continue;
		}
		switch (opt) {
		case 'R': rm = true; break;
		case 'd': detach = true; break;
		case 't': tty = true; break;
		case 'I': init = true; break;
		case 'i': break;   /* stdin is the caller's already */
		case 'L': {
			char *end;
			errno = 0;
			log_size = strtoll(optarg, &end, 10);
			if (*end == 'k' || *end == 'K')
				log_size <<= 10, end++;
			else if (*end == 'm' || *end == 'M')
				log_size <<= 20, end++;
			if (errno || *end || optarg[0] < '0' || optarg[0] > '9' ||
			    log_size < 4096 || log_size > (1LL << 40))
				tk_die(125, "bad --log-size '%s': bytes, k or m, from 4k",
				       tk_quote(optarg, qbuf, sizeof(qbuf)));
			break;
		}
		case 'n':
			if (!tk_valid_name(optarg))
				tk_die(125, "bad name '%s': use [a-z0-9][a-z0-9_.-]*, at most 64 characters",
				       tk_quote(optarg, qbuf, sizeof(qbuf)));
			c.name = xstrdup(optarg);
			break;
		case 'e': strv_push(&envflags, optarg); break;
		case 'w':
			if (optarg[0] != '/' || strlen(optarg) >= 4096)
				tk_die(125, "bad --workdir '%s': must be an absolute path",
				       tk_quote(optarg, qbuf, sizeof(qbuf)));
			c.workdir = xstrdup(optarg);
			break;
		case 'u': user = optarg; break;
		case 'h':
			if (!tk_valid_hostname(optarg))
				tk_die(125, "bad hostname '%s': use letters, digits, '.' and '-', at most 64",
				       tk_quote(optarg, qbuf, sizeof(qbuf)));
			c.hostname = xstrdup(optarg);
			break;
		case 'E': entrypoint = optarg; entry_set = true; break;
		case 'N':
			if (strcmp(optarg, "none") && strcmp(optarg, "host"))
				tk_die(125, "bad --net '%s': use 'none' or 'host'", tk_quote(optarg, qbuf, sizeof(qbuf)));
			c.net_host = !strcmp(optarg, "host");
			break;
		case 'U':
			if (strcmp(optarg, "host"))
				tk_die(125, "bad --userns '%s': only 'host' is known", tk_quote(optarg, qbuf, sizeof(qbuf)));
			if (getuid() != 0)
				tk_die(125, "--userns host is only for root");
			c.userns_host = true;
			break;
		case 'S':
			/* no_new_privs is always on: accepted as Docker spells it. */
			if (!strcmp(optarg, "seccomp=unconfined") || !strcmp(optarg, "seccomp:unconfined"))
				c.unconfined = true;
			else if (strcmp(optarg, "no-new-privileges") &&
				 strcmp(optarg, "no-new-privileges:true") &&
				 strcmp(optarg, "no-new-privileges=true"))
				tk_die(125, "bad --security-opt '%s': use seccomp=unconfined or no-new-privileges",
				       tk_quote(optarg, qbuf, sizeof(qbuf)));
			break;
		case 'r': root = optarg; break;
		case 'H': return tk_print_help(usage_text);
		default: tk_usage_error("bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		tk_usage_error("no image given");
	if (detach && tty)
		tk_usage_error("-d and -t together need attaching, which tk has not: use one");

	if (access(helper_path(), X_OK) < 0)
		tk_die(125, "cannot run %s: %s (are you in group tk? see tk-helper(8))",
		       helper_path(), strerror(errno));
	if (store_open(&st, root, true, &err) < 0)
		tk_die_err(125, &err);
	limits_finish(&limits, st.fd);
	if (getuid() == 0) {
		/* Root runs the helper as itself, never as a sudo caller. */
		unsetenv("SUDO_UID");
		unsetenv("SUDO_GID");
	}
	/* In the foreground the run is ours (rt_run below): the helper
	 * starts now, while we make the container. */
	if (!detach && !tty)
		rt_spawn_helper(c.userns_host, limits.nargs, limits.args);
	if (image_resolve(&st, argv[optind], &img, &err) < 0)
		tk_die_err(125, &err);

	/* The command: entrypoint + cmd, as Docker builds it. --entrypoint
	 * replaces the image's entrypoint and drops the image's cmd. */
	if (entry_set) {
		if (*entrypoint)
			strv_push(&entry, entrypoint);
	} else {
		entry = strv_dup(img.entrypoint);
	}
	if (optind + 1 < argc)
		cmd = strv_dup(argv + optind + 1);
	else if (!entry_set)
		cmd = strv_dup(img.cmd);
	c.argv = strv_dup(entry);
	for (size_t i = 0; cmd && cmd[i]; i++)
		strv_push(&c.argv, cmd[i]);
	if (strv_len(c.argv) == 0)
		tk_die(125, "no command: the image has none, give one after the image name");

	c.layers = strv_dup(img.layers);
	if (user_resolve(&st, c.layers, user ? user : img.user && *img.user ? img.user : "0",
			 &c.uid, &c.gid, home, &err) < 0)
		tk_die_err(125, &err);
	c.user = xstrdup(user ? user : img.user ? img.user : "0");

	c.env = strv_dup(img.env);
	if (!env_has(c.env, "PATH"))
		env_set(&c.env, DEFAULT_PATH);
	if (env_add_flags(&c.env, envflags, &err) < 0)
		tk_die_err(125, &err);
	if (!env_has(c.env, "HOME")) {
		cleanup_free char *kv = xasprintf("HOME=%s", home);
		env_set(&c.env, kv);
	}
	if (!c.workdir)
		c.workdir = xstrdup(img.workdir && img.workdir[0] == '/' ? img.workdir : "/");
	c.image = xstrdup(argv[optind]);
	memcpy(c.image_id, img.id, sizeof(c.image_id));

	c.init = init;
	/* Kept for tk-start, which runs it again with the same limits. */
	for (int i = 0; i < limits.nargs; i++)
		strv_push(&c.limits, limits.args[i]);
	if (container_create(&st, &c, &err) < 0)
		tk_die_err(125, &err);
	if (!c.hostname) {
		snprintf(hostbuf, sizeof(hostbuf), "%.12s", c.id);
		c.hostname = xstrdup(hostbuf);
	}
	{
		cleanup_free char *kv = xasprintf("HOSTNAME=%s", c.hostname);
		if (!env_has(c.env, "HOSTNAME"))
			env_set(&c.env, kv);
	}

	/* The run grammar (helper/protocol.h). */
	{
		struct start_opts so = { .rm = rm, .detach = detach, .tty = tty, .init = init };
		if (start_run_argv(&c, &so, hargv, &err) < 0)
			tk_die_err(125, &err);
	}

	/* The store goes to the runner and the monitor as fd 3, without
	 * close-on-exec (dup2 onto itself would keep the flag, hence the
	 * fcntl). */
	if ((st.fd == TK_STORE_FD ? fcntl(st.fd, F_SETFD, 0) : dup2(st.fd, TK_STORE_FD)) < 0)
		tk_die(125, "cannot pass the store: %s", strerror(errno));
	/* With -it and -d we are still here when the helper refuses to
	 * start the container: --rm removes it then too, as docker run does
	 * (after a run, the runner has removed it already). */
	if (tty) {
		int r = pty_run(st.fd, hargv, &err);
		if (r < 0)
			tk_die_err(125, &err);
		if (rm)
			container_discard(&st, &c, NULL);
		return r;
	}
	if (detach) {
		int r = monitor_start(&st, c.id, hargv, log_size, &err);
		if (r < 0) {
			tk_warn("%s", err.msg);
			container_delete(&st, &c, NULL);
			return 125;
		}
		if (r > 0 && rm)
			container_discard(&st, &c, NULL);
		if (r == 0 && (puts(c.id) == EOF || fflush(stdout) != 0))
			tk_die(125, "write error: %s", strerror(errno));
		return r;
	}
	/* In the foreground the run is ours: a refused --rm container goes
	 * with the refusal (rt_run). */
	fflush(NULL);
	return rt_run(strv_len((char **)hargv), (char **)hargv);
}
