/*
 * Image records: images/<id>.json in the store, where id is the sha256 hex
 * of the image's config JSON (as Docker's image ID). Each record holds the
 * names (tags) that point at the image, its layers (diff-id hex, bottom
 * first; each unpacked once under layers/) and the run defaults taken from
 * the config.
 */
#ifndef TK_IMAGE_H
#define TK_IMAGE_H
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "store.h"

struct tk_image {
	char id[65];
	char **names;       /* normalised: "mybox:latest", "docker.io/library/alpine:3.19" */
	char **layers;      /* diff-id hex, bottom first */
	char **env;         /* "K=V"; NULL when the config has none */
	char **entrypoint;  /* NULL when unset */
	char **cmd;         /* NULL when unset */
	char *workdir;      /* NULL when unset */
	char *user;         /* NULL when unset */
	char *stop_signal;  /* NULL when unset */
	long long created;  /* unix time the image entered this store */
	long long size;     /* bytes unpacked, summed over its layers */
};

/* ref: a name ("mybox" means "mybox:latest"), a full id, "sha256:<id>", or
 * a unique id prefix. "no such image" when nothing matches; "ambiguous"
 * when a prefix matches several. */
int image_resolve(struct tk_store *st, const char *ref, struct tk_image *img,
		  struct tk_err *err);
int image_load(struct tk_store *st, const char *id, struct tk_image *img, struct tk_err *err);
/* All images, sorted newest first. A damaged record is no image: image_load
 * and image_resolve fail on one with code EBADMSG and a message naming the
 * remedy (image_resolve sets img->id then); image_scan also returns their
 * ids and those messages (either may be NULL). */
int image_list(struct tk_store *st, struct tk_image **imgs, size_t *n, struct tk_err *err);
int image_scan(struct tk_store *st, struct tk_image **imgs, size_t *n, char ***bad_ids,
	       char ***bad_whys, struct tk_err *err);
void image_free(struct tk_image *img);
void image_list_free(struct tk_image *imgs, size_t n);
/* Remove the record, then every layer of it that no remaining image and
 * no container uses. The caller has checked that no container uses the
 * image. Takes the store lock. For a damaged record, whose layers are
 * unknown, that is every layer in the store no one uses. */
int image_delete(struct tk_store *st, const char *id, struct tk_err *err);
/* Remove one name from whatever image has it; the image stays. */
int image_untag(struct tk_store *st, const char *name, struct tk_err *err);

/* Writing records (tk-pull). A name as users write it ("mybox",
 * "localhost/x:1") normalised into buf ("mybox:latest"); refuses names
 * that are not image references. */
int image_normalize_name(const char *in, char *buf, size_t n, struct tk_err *err);
/* Write img's record (crash-safe, replacing one with the same id) and move
 * each of its names off any other image, as docker tag does. layer_sizes:
 * bytes per layer, parallel to img->layers, or NULL. Call with the store
 * lock held. */
int image_save(struct tk_store *st, const struct tk_image *img, const long long *layer_sizes,
	       struct tk_err *err);
/* The unpacked size of layer hex as some image record knows it; 0 if none. */
long long image_layer_size(struct tk_store *st, const char *hex);

#endif
