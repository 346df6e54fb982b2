/*
 * tk-ls: list containers (running ones by default, -a all) or, with
 * --images, images. A table, -q for IDs only, -o json for one JSON object
 * per line.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container.h"
#include "image.h"
#include "json.h"
#include "store.h"
#include "util.h"
#include "banned.h"

static const char usage_text[] =
	"Usage: tk-ls [OPTIONS]\n"
	"List containers: running ones, or all with -a. With --images, list images.\n"
	"\n"
	"  -a, --all          all containers, not only running ones\n"
	"      --running      only running containers (the default)\n"
	"      --exited       only exited containers (oom-killed ones too)\n"
	"  -q, --quiet        only full IDs, one per line\n"
	"  -n, --no-heading   no table heading\n"
	"  -o, --output json  one JSON object per line\n"
	"      --images       list images instead\n"
	"      --root DIR     the store (default: $TK_ROOT, ~/.local/share/tk)\n"
	"      --help         show this help\n";

static void
status_text(const struct tk_container *c, char *buf, size_t n)
{
	char ago[40];

	if (c->state == TK_RUNNING) {
		tk_human_ago(tk_now() - c->started, ago, sizeof(ago));
		/* "5 seconds ago" -> "Up 5 seconds" */
		char *p = strstr(ago, " ago");
		if (p)
			*p = 0;
		snprintf(buf, n, "Up %s", ago);
	} else if (c->state == TK_EXITED) {
		tk_human_ago(tk_now() - (c->finished ? c->finished : c->created), ago, sizeof(ago));
		if (c->oom_killed)   /* the memory limit killed a process */
			snprintf(buf, n, "OOM-killed (%d) %s", c->exit_code, ago);
		else if (c->exit_code >= 0)
			snprintf(buf, n, "Exited (%d) %s", c->exit_code, ago);
		else
			snprintf(buf, n, "Exited (unknown) %s", ago);
	} else {
		snprintf(buf, n, "Created");
	}
}

static void
emit_json(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s) {
		puts(s);
		free(s);
	}
}

static void
list_containers(struct tk_store *st, int filter, bool quiet, bool noheading, bool json)
{
	struct tk_container *cs = NULL;
	size_t n = 0;
	struct tk_err err;

	if (container_summaries(st, filter == 1 ? TK_ONLY_RUNNING : filter == 2 ? TK_ONLY_EXITED : TK_ALL,
			   &cs, &n, &err) < 0)
		tk_die_err(1, &err);
	if (!quiet && !json && !noheading)
		printf("%-12s  %-20s  %-24s  %-16s  %-24s  %s\n", "CONTAINER ID", "IMAGE",
		       "COMMAND", "CREATED", "STATUS", "NAMES");
	for (size_t i = 0; i < n; i++) {
		struct tk_container *c = &cs[i];
		cleanup_free char *cmd = container_command(c);
		char created[64], status[128];

		if (filter == 1 && c->state != TK_RUNNING)
			continue;
		if (filter == 2 && c->state != TK_EXITED)
			continue;
		if (quiet) {
			puts(c->id);
			continue;
		}
		if (json) {
			emit_json(json_pack("{s:s, s:s?, s:s?, s:s, s:s, s:o, s:I, s:s, s:o, s:b, s:o}",
					    "id", c->id, "name", c->name, "image", c->image,
					    "image_id", c->image_id, "command", cmd,
					    "argv", json_from_strv(c->argv), "created",
					    (json_int_t)c->created, "status", container_status_name(c),
					    "exit_code", c->exit_code >= 0 ? json_integer(c->exit_code)
									   : json_null(),
					    "oom_killed", c->oom_killed,
					    "pid", c->pid > 0 ? json_integer(c->pid) : json_null()));
			continue;
		}
		tk_human_ago(tk_now() - c->created, created, sizeof(created));
		status_text(c, status, sizeof(status));
		printf("%-12.12s  %-20.20s  %-24.24s  %-16.16s  %-24.24s  %s\n", c->id,
		       c->image ? c->image : "", cmd, created, status, c->name ? c->name : "");
	}
	container_list_free(cs, n);
}

static void
human_size(long long b, char *buf, size_t n)
{
	const char *u[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)b;
	int i = 0;

	while (v >= 1000 && i < 4) {
		v /= 1000;
		i++;
	}
	snprintf(buf, n, i ? "%.3g%s" : "%.0f%s", v, u[i]);
}

static void
list_images(struct tk_store *st, bool quiet, bool noheading, bool json)
{
	struct tk_image *imgs = NULL;
	size_t n = 0;
	struct tk_err err;
	cleanup_strv char **bad = NULL;

	if (image_scan(st, &imgs, &n, NULL, &bad, &err) < 0)
		tk_die_err(1, &err);
	/* Damaged records are no images: said on stderr, the list stays. */
	for (size_t i = 0; bad && bad[i]; i++)
		tk_warn("%s", bad[i]);
	if (!quiet && !json && !noheading)
		printf("%-40s  %-12s  %-16s  %s\n", "NAME", "IMAGE ID", "CREATED", "SIZE");
	for (size_t i = 0; i < n; i++) {
		struct tk_image *m = &imgs[i];
		char created[64], size[32];

		if (quiet) {
			puts(m->id);
			continue;
		}
		if (json) {
			emit_json(json_pack("{s:s, s:o, s:I, s:I, s:o}", "id", m->id, "names",
					    json_from_strv(m->names), "created", (json_int_t)m->created,
					    "size", (json_int_t)m->size, "layers",
					    json_from_strv(m->layers)));
			continue;
		}
		tk_human_ago(tk_now() - m->created, created, sizeof(created));
		human_size(m->size, size, sizeof(size));
		if (!m->names || !m->names[0])
			printf("%-40s  %-12.12s  %-16.16s  %s\n", "<none>", m->id, created, size);
		for (size_t j = 0; m->names && m->names[j]; j++)
			printf("%-40s  %-12.12s  %-16.16s  %s\n", m->names[j], m->id, created, size);
	}
	image_list_free(imgs, n);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "running", no_argument, NULL, 'R' },
		{ "exited", no_argument, NULL, 'X' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-heading", no_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "images", no_argument, NULL, 'I' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	struct tk_store st = { .fd = -1 };
	struct tk_err err;
	const char *root = NULL;
	bool quiet = false, noheading = false, json = false, images = false;
	int filter = 1, opt;   /* 0 all, 1 running, 2 exited */

	tk_prog = "tk-ls";
	opterr = 0;
	/* `tk-ls | head -1` ends quietly. */
	signal(SIGPIPE, SIG_DFL);
	while ((opt = getopt_long(argc, argv, "aqno:", opts, NULL)) != -1) {
		switch (opt) {
		case 'a': filter = 0; break;
		case 'R': filter = 1; break;
		case 'X': filter = 2; break;
		case 'q': quiet = true; break;
		case 'n': noheading = true; break;
		case 'o':
			if (strcmp(optarg, "json"))
				tk_usage_error("unknown output format '%s': only 'json'", optarg);
			json = true;
			break;
		case 'I': images = true; break;
		case 'r': root = optarg; break;
		case 'H': return tk_print_help(usage_text);
		default: tk_usage_error("bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		tk_usage_error("unexpected argument '%s'", argv[optind]);
	if (store_open(&st, root, true, &err) < 0)
		tk_die_err(1, &err);
	if (images)
		list_images(&st, quiet, noheading, json);
	else
		list_containers(&st, filter, quiet, noheading, json);
	/* util-linux style: a failed write to stdout is an error. */
	if (fflush(stdout) != 0 || ferror(stdout))
		tk_die(1, "write error: %s", strerror(errno));
	return 0;
}
