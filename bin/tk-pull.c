/*
 * tk-pull: bring an image into the store and print its ID.
 *
 *   tk-pull [--root DIR] [-q] [--name NAME] SOURCE
 *
 * The work (sources, digests, unpacking in a user namespace) is in
 * lib/pull.c and lib/layer.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idmap.h"
#include "pull.h"
#include "store.h"
#include "util.h"
#include "banned.h"

static const char usage[] =
	"Usage: tk-pull [--root DIR] [-q] [--name NAME] SOURCE\n"
	"Bring an image into the store and print its ID.\n"
	"\n"
	"Sources:\n"
	"  tar:PATH                          a rootfs tarball (docker export, minirootfs);\n"
	"                                    gzip, xz, zstd, bzip2 or plain; '-' is stdin\n"
	"  oci:DIR[:TAG]                     an OCI image layout (skopeo, umoci)\n"
	"  docker-archive:PATH[:NAME[:TAG]]  what 'docker save' writes\n"
	"\n"
	"Options:\n"
	"      --root DIR   the store (default: $TK_ROOT, else ~/.local/share/tk)\n"
	"      --name NAME  tag the image NAME (\"mybox\" means \"mybox:latest\")\n"
	"  -q, --quiet      no progress or warnings on stderr\n"
	"      --help       show this help\n"
	"\n"
	"Exit status: 0 pulled, 1 failed, 2 usage error.\n";

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pull_opts o = { .lim = LAYER_LIMITS_DEFAULT };
	struct tk_store st = { .fd = -1 };
	struct tk_err err = { 0 };
	const char *root = NULL;
	char id[65];
	int c;

	tk_prog = "tk-pull";
	opterr = 0;
	while ((c = getopt_long(argc, argv, "q", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'n':
			o.name = optarg;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'h':
			return tk_print_help(usage);
		default:
			tk_usage_error("bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		tk_usage_error(optind == argc ? "missing SOURCE" : "too many arguments");
	if (store_open(&st, root, true, &err) < 0)
		tk_die_err(1, &err);
	if (getuid() != 0 && idmap_mapped_count(getuid()) == 1)
		tk_warn("no /etc/subuid and /etc/subgid range for you: "
			"files in images will all belong to you (ask for a subordinate id range)");
	if (pull_source(&st, argv[optind], &o, id, &err) < 0)
		tk_die_err(1, &err);
	store_close(&st);
	printf("%s\n", id);
	if (fflush(stdout) != 0 || ferror(stdout))
		tk_die(1, "cannot write to stdout");
	return 0;
}
