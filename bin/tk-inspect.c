/*
 * tk-inspect: everything tk knows about a container, as one JSON document
 * per container (pretty-printed; `tk-inspect web | jq .state`): its
 * configuration, and its state as decided from the helper's root-owned
 * record and the exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "container.h"
#include "json.h"
#include "logs.h"
#include "monitor.h"
#include "store.h"
#include "util.h"
#include "banned.h"

static const char usage_text[] =
	"Usage: tk-inspect [OPTIONS] CONTAINER...\n"
	"Print a container's configuration and state as one JSON document each.\n"
	"\n"
	"  -c, --compact   one line per document\n"
	"  -               read names from stdin, one per line\n"
	"      --root DIR  the store (default: $TK_ROOT, ~/.local/share/tk)\n"
	"      --help      show this help\n";

static bool compact;

static json_t *
time_json(long long t)
{
	char buf[32];
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0 || !gmtime_r(&tt, &tm))
		return json_null();
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static long long
mtime_at(int dfd, const char *name)
{
	struct stat sb;
	return dfd >= 0 && fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 ? sb.st_mtime : 0;
}

static json_t *
state_json(const struct tk_container *c, int dfd)
{
	long long started = c->started ? c->started : mtime_at(dfd, TK_CT_STARTED);

	/* oom_killed: the memory limit (or a tk.conf cap) killed a process of
	 * its last run: the helper read it from the cgroup (memory.events,
	 * memory.oom_control) and left the oom file next to the exit status. */
	return json_pack("{s:s, s:b, s:o, s:o, s:o, s:o, s:b, s:b}",
			 "status", container_status_name(c), "running", c->state == TK_RUNNING,
			 "exit_code", c->exit_code >= 0 ? json_integer(c->exit_code) : json_null(),
			 "pid", c->pid > 0 ? json_integer(c->pid) : json_null(),
			 "started_at", time_json(c->state == TK_CREATED ? 0 : started),
			 "finished_at", time_json(c->state == TK_EXITED ? c->finished : 0),
			 "oom_killed", c->state == TK_EXITED && c->oom_killed,
			 "monitored", dfd >= 0 && logs_monitor_alive(dfd));
}

static int
inspect_one(void *ctx, const char *ref)
{
	struct tk_store *st = ctx;
	struct tk_container c;
	struct tk_err err;
	cleanup_close int dfd = -1;
	cleanup_free char *dir = NULL, *path = NULL, *logpath = NULL, *s = NULL;
	char shortid[13];
	json_t *o;
	bool logs;

	if (container_resolve(st, ref, &c, &err) < 0) {
		tk_warn("%s", err.msg);
		return -1;
	}
	dir = xasprintf("containers/%s", c.id);
	path = xasprintf("%s/%s", st->path, dir);
	dfd = openat(st->fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	logs = dfd >= 0 && faccessat(dfd, TK_CT_LOG, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	logpath = xasprintf("%s/" TK_CT_LOG, path);
	/* tk-run's default hostname, which it does not record. */
	snprintf(shortid, sizeof(shortid), "%.12s", c.id);
	o = json_pack("{s:s, s:s?, s:s?, s:s, s:o, s:s, s:o, s:{s:o, s:o, s:s?, s:s?, s:I, s:I,"
		      " s:s?, s:s, s:s, s:o}, s:o}",
		      "id", c.id, "name", c.name, "image", c.image, "image_id", c.image_id,
		      "created", time_json(c.created), "path", path,
		      "log_path", logs ? json_string(logpath) : json_null(),
		      "config",
		      "argv", json_from_strv(c.argv), "env", json_from_strv(c.env), "workdir", c.workdir,
		      "user", c.user, "uid", (json_int_t)c.uid, "gid", (json_int_t)c.gid,
		      "hostname", c.hostname ? c.hostname : shortid, "net", c.net_host ? "host" : "none",
		      "userns", c.userns_host ? "host" : "private", "layers", json_from_strv(c.layers),
		      "state", state_json(&c, dfd));
	container_free(&c);
	if (!o || !(s = json_dumps(o, compact ? JSON_COMPACT : JSON_INDENT(2)))) {
		json_decref(o);
		tk_warn("cannot encode '%s'", ref);
		return -1;
	}
	json_decref(o);
	puts(s);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "compact", no_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	struct tk_store st = { .fd = -1 };
	struct tk_err err;
	const char *root = NULL;
	int opt, failed = 0;

	tk_prog = "tk-inspect";
	opterr = 0;
	signal(SIGPIPE, SIG_DFL);
	while ((opt = getopt_long(argc, argv, "c", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': compact = true; break;
		case 'r': root = optarg; break;
		case 'H': return tk_print_help(usage_text);
		default: tk_usage_error("bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		tk_usage_error("no container given");
	if (store_open(&st, root, false, &err) < 0)
		tk_die_err(1, &err);
	failed = cli_each_ref(argc, argv, optind, false, inspect_one, &st);
	if (fflush(stdout) != 0 || ferror(stdout))
		tk_die(1, "write error: %s", strerror(errno));
	return failed ? 1 : 0;
}
