/*
 * tk-pull: bring an image into the store and print its ID.
 *
 *   tk-pull [OPTIONS] SOURCE
 *
 * The work (registries, sources, digests, unpacking in a user namespace)
 * is in lib/pull.c, lib/registry*.c and lib/layer.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idmap.h"
#include "interrupt.h"
#include "pull.h"
#include "store.h"
#include "util.h"
#include "banned.h"

static const char usage[] =
	"Usage: tk-pull [OPTIONS] SOURCE\n"
	"Bring an image into the store and print its ID.\n"
	"\n"
	"Sources:\n"
	"  [docker://]NAME[:TAG|@DIGEST]     an image in a registry: alpine is\n"
	"                                    docker.io/library/alpine:latest;\n"
	"                                    HOST[:PORT]/REPO[:TAG], REPO@sha256:HEX\n"
	"  tar:PATH                          a rootfs tarball (docker export, minirootfs);\n"
	"                                    gzip, xz, zstd, bzip2 or plain; '-' is stdin\n"
	"  oci:DIR[:TAG]                     an OCI image layout (skopeo, umoci)\n"
	"  docker-archive:PATH[:NAME[:TAG]]  what 'docker save' writes\n"
	"\n"
	"Options:\n"
	"      --root DIR        the store (default: $TK_ROOT, else ~/.local/share/tk)\n"
	"      --name NAME       tag the image NAME (\"mybox\" means \"mybox:latest\")\n"
	"      --platform OS/ARCH[/VARIANT]\n"
	"                        the image to take from a multi-platform index\n"
	"                        (default: linux and this machine's architecture)\n"
	"      --creds USER:PASS registry credentials\n"
	"      --authfile FILE   credentials from FILE only (Docker's config.json format)\n"
	"      --insecure        allow plain HTTP and unverified TLS for this registry\n"
	"                        (loopback registries may always use plain HTTP)\n"
	"  -j, --jobs N          download N layers at a time (default 3, at most 16)\n"
	"  -q, --quiet           print only the ID: no progress or warnings on stderr\n"
	"      --help            show this help\n"
	"\n"
	"Credentials, unless given: tk-login's file ($XDG_CONFIG_HOME/tk/auth.json), then\n"
	"~/.docker/config.json.\n"
	"\n"
	"Exit status: 0 pulled, 1 failed, 2 usage error.\n";

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "platform", required_argument, NULL, 'P' },
		{ "creds", required_argument, NULL, 'C' },
		{ "authfile", required_argument, NULL, 'A' },
		{ "insecure", no_argument, NULL, 'I' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pull_opts o = { .lim = LAYER_LIMITS_DEFAULT };
	struct tk_store st = { .fd = -1 };
	struct tk_err err = { 0 };
	const char *root = NULL;
	char id[65], *end;
	long jobs;
	int c;

	tk_prog = "tk-pull";
	opterr = 0;
	while ((c = getopt_long(argc, argv, "qj:", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'n':
			o.name = optarg;
			break;
		case 'P':
			o.platform = optarg;
			break;
		case 'C':
			o.creds = optarg;
			break;
		case 'A':
			o.authfile = optarg;
			break;
		case 'I':
			o.insecure = true;
			break;
		case 'j':
			jobs = strtol(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || jobs < 1 || jobs > 16)
				tk_usage_error("--jobs takes a number from 1 to 16");
			o.jobs = (int)jobs;
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
	tk_catch_interrupts();
	if (pull_source(&st, argv[optind], &o, id, &err) < 0) {
		/* Cleaned up: now die of the signal, as the caller expects. */
		tk_interrupt_reraise();
		tk_die_err(1, &err);
	}
	store_close(&st);
	printf("%s\n", id);
	if (fflush(stdout) != 0 || ferror(stdout))
		tk_die(1, "cannot write to stdout");
	return 0;
}
