/*
 * tk-rm: remove containers (-f stops running ones first) or, with
 * --image, images. IDs, unique ID prefixes and names; `-` reads them from
 * stdin, one per line (-z: NUL-separated), so `tk-ls -q --exited | tk-rm -`
 * works.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "container.h"
#include "image.h"
#include "store.h"
#include "util.h"
#include "banned.h"

static const char usage_text[] =
	"Usage: tk-rm [OPTIONS] CONTAINER...\n"
	"       tk-rm --image [OPTIONS] IMAGE...\n"
	"       tk-rm --image --unused [--root DIR]\n"
	"Remove containers (by ID, unique ID prefix or name), or images.\n"
	"\n"
	"  -f, --force     kill running containers first\n"
	"  -r, --image-too also each container's image, when no other container uses it\n"
	"      --image     remove images instead; refused while a container uses one\n"
	"      --unused    with --image: every image no container uses\n"
	"  -               read names from stdin, one per line\n"
	"  -z              with -: NUL-separated\n"
	"      --root DIR  the store (default: $TK_ROOT, ~/.local/share/tk)\n"
	"      --help      show this help\n";

static bool force, images, unused, with_image;

/* -r: the container's image too, unless another container uses it (the
 * seed's rm -r). Its names are printed as it goes. */
static int
rm_image_if_unused(struct tk_store *st, const char *id)
{
	struct tk_container *cs = NULL;
	struct tk_err err;
	size_t n = 0;
	bool used = false;

	if (!tk_valid_hex64(id))
		return 0;
	if (container_list(st, &cs, &n, &err) < 0) {
		tk_warn("%s", err.msg);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		used |= !strcmp(cs[i].image_id, id);
	container_list_free(cs, n);
	if (used)
		return 0;
	if (image_delete(st, id, &err) < 0) {
		/* Already gone (another tk-rm -r) is what was asked for. */
		if (err.code == ENOENT)
			return 0;
		tk_warn("cannot remove image %.12s: %s", id, err.msg);
		return -1;
	}
	printf("%s\n", id);
	return 0;
}

static int
rm_container(struct tk_store *st, const char *ref)
{
	struct tk_container c;
	struct tk_err err;
	int r = 0;

	if (container_resolve(st, ref, &c, &err) < 0) {
		tk_warn("%s", err.msg);
		return -1;
	}
	if (c.state == TK_RUNNING) {
		if (!force) {
			tk_warn("cannot remove '%s': container is running (stop it first, or use -f)", ref);
			container_free(&c);
			return -1;
		}
		if (container_stop(&c, SIGKILL, -1, &err) < 0) {
			tk_warn("cannot remove '%s': %s", ref, err.msg);
			container_free(&c);
			return -1;
		}
	}
	if (container_delete(st, &c, &err) < 0) {
		tk_warn("cannot remove '%s': %s", ref, err.msg);
		r = -1;
	} else {
		puts(ref);
		if (with_image)
			r = rm_image_if_unused(st, c.image_id);
	}
	container_free(&c);
	return r;
}

static int
rm_image(struct tk_store *st, const char *ref)
{
	struct tk_image img;
	struct tk_container *cs = NULL;
	size_t n = 0;
	struct tk_err err;
	int r = 0;

	/* A damaged record is removed like an image (its id is known). */
	if (image_resolve(st, ref, &img, &err) < 0 && err.code != EBADMSG) {
		tk_warn("%s", err.msg);
		return -1;
	}
	if (container_list(st, &cs, &n, &err) < 0) {
		tk_warn("%s", err.msg);
		image_free(&img);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (!strcmp(cs[i].image_id, img.id)) {
			tk_warn("cannot remove image '%s': container %.12s uses it (tk-rm it first)",
				ref, cs[i].id);
			r = -1;
			break;
		}
	container_list_free(cs, n);
	if (r == 0 && image_delete(st, img.id, &err) < 0) {
		tk_warn("cannot remove image '%s': %s", ref, err.msg);
		r = -1;
	}
	if (r == 0)
		puts(ref);
	image_free(&img);
	return r;
}

/* --image --unused: every image no container uses; prints their IDs. */
static int
rm_unused(struct tk_store *st)
{
	struct tk_image *imgs = NULL;
	struct tk_container *cs = NULL;
	size_t ni = 0, nc = 0;
	struct tk_err err;
	int r = 0;

	if (image_list(st, &imgs, &ni, &err) < 0 || container_list(st, &cs, &nc, &err) < 0) {
		tk_warn("%s", err.msg);
		image_list_free(imgs, ni);
		return -1;
	}
	for (size_t i = 0; i < ni; i++) {
		bool used = false;

		for (size_t k = 0; k < nc && !used; k++)
			used = !strcmp(cs[k].image_id, imgs[i].id);
		if (used)
			continue;
		if (image_delete(st, imgs[i].id, &err) < 0) {
			tk_warn("cannot remove image %.12s: %s", imgs[i].id, err.msg);
			r = -1;
			continue;
		}
		puts(imgs[i].id);
	}
	container_list_free(cs, nc);
	image_list_free(imgs, ni);
	return r;
}

static int
rm_one(void *ctx, const char *ref)
{
	struct tk_store *st = ctx;
	return images ? rm_image(st, ref) : rm_container(st, ref);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "image-too", no_argument, NULL, 'R' },
		{ "image", no_argument, NULL, 'I' },
		{ "unused", no_argument, NULL, 'U' },
		{ "root", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	struct tk_store st = { .fd = -1 };
	struct tk_err err;
	const char *root = NULL;
	bool nul = false;
	int opt, failed = 0;

	tk_prog = "tk-rm";
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "frz", opts, NULL)) != -1) {
		switch (opt) {
		case 'f': force = true; break;
		case 'r': case 'R': with_image = true; break;
		case 'z': nul = true; break;
		case 'I': images = true; break;
		case 'U': unused = true; break;
		case 'D': root = optarg; break;
		case 'H': return tk_print_help(usage_text);
		default: tk_usage_error("bad option '%s'", argv[optind - 1]);
		}
	}
	if (unused && (!images || optind < argc))
		tk_usage_error("--unused goes with --image and no names");
	if (optind >= argc && !unused)
		tk_usage_error("nothing to remove");
	if (store_open(&st, root, true, &err) < 0)
		tk_die_err(1, &err);
	if (unused)
		failed = rm_unused(&st) < 0;
	failed |= cli_each_ref(argc, argv, optind, nul, rm_one, &st);
	store_close(&st);
	if (fflush(stdout) != 0)
		tk_die(1, "write error");
	return failed ? 1 : 0;
}
