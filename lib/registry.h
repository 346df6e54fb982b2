/*
 * A client of the OCI distribution API (and Docker Registry HTTP API v2):
 * GET /v2/ to learn the auth scheme, then manifests and blobs of one
 * repository. Auth: none, Basic, or a Bearer token from the realm named in
 * the WWW-Authenticate challenge (anonymous, or with the credentials from
 * lib/auth.h). Loopback registries (localhost, 127.0.0.0/8, ::1) and
 * --insecure ones are tried over HTTPS first and then over plain HTTP, as
 * Docker does; all others are HTTPS with verified certificates.
 */
#ifndef TK_REGISTRY_H
#define TK_REGISTRY_H
#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "auth.h"
#include "err.h"
#include "http.h"
#include "layer.h"
#include "ref.h"

struct registry_opts {
	bool insecure;            /* plain HTTP or unverified TLS for any host */
	struct auth_opts auth;
};

struct registry {
	struct image_ref ref;
	char *base;               /* "https://host:port" */
	bool tls_noverify;
	struct auth_creds creds;
	char *token;              /* bearer token, or NULL */
	bool basic;               /* the registry wants Basic auth */
	struct http_challenge ch; /* the Bearer challenge, for renewing */
	unsigned long requests;   /* HTTP requests made so far */
};

/* Ping the registry and authenticate for pulling ref's repository. */
int registry_open(struct registry *r, const struct image_ref *ref,
		  const struct registry_opts *o, struct tk_err *err);
void registry_close(struct registry *r);

/* GET a manifest by tag or "sha256:<hex>", accepting OCI and Docker
 * schema 2 manifests and indexes. body at most max bytes. media_type: the
 * Content-Type; digest: the Docker-Content-Digest header or "". */
int registry_get_manifest(struct registry *r, const char *reference, size_t max, char **body,
			  size_t *len, char media_type[256], char digest[128],
			  struct tk_err *err);
/* GET a small blob (a config) of at most max bytes and check its sha256. */
int registry_get_blob(struct registry *r, const char *hex, size_t max, char **body,
		      size_t *len, struct tk_err *err);
/* An easy handle for GET of blob hex (redirects followed, credentials
 * for the registry only). The caller sets the write callback and Range. */
CURL *registry_blob_handle(struct registry *r, const char *hex);
/* After a 401 on a blob: get a fresh token. */
int registry_reauth(struct registry *r, struct tk_err *err);
/* Check credentials (tk-login): 0 when the registry accepts them. */
int registry_login(const char *host, const struct registry_opts *o, struct tk_err *err);

/* Downloading and unpacking layers, several at a time. Each blob streams
 * into a partial file tmp/blob-<hex>.part (flock'ed while in use) that an
 * unpacker (layer_extract_start) reads as it grows; so the blob is
 * verified, decompressed and unpacked while it downloads. A dropped
 * connection is retried, resuming with an HTTP Range request; the partial
 * file outlives an interrupted tk-pull, so the next pull resumes it too,
 * and it is removed once its layer is unpacked. */
struct fetch_layer {
	char blob[65];              /* the blob's sha256 (hex) */
	long long size;             /* its size, from the manifest */
	char diffid[65];            /* the uncompressed tar's sha256, from the config */
	char name[32];              /* directory to unpack into, beneath fetch_opts.dirfd */
	struct layer_result res;    /* filled on success */
};

struct fetch_opts {
	int jobs;                   /* layers at a time */
	int dirfd;                  /* the pull's work directory */
	int partfd;                 /* where partial blobs live (tmp/) */
	const struct layer_limits *lim;
	bool quiet;                 /* no warnings */
	bool progress;              /* a progress display on stderr */
};

/* Unpackers started ahead (layer_worker_start): the forks, user
 * namespaces and id maps cost tens of milliseconds, which this spends
 * while the image config is still being fetched, not after the first
 * layer bytes came. */
#define FETCH_POOL_MAX 16
struct fetch_pool {
	struct {
		struct layer_job x;
		int give;           /* where its job goes; -1 once given */
		int note;           /* write end of its follow pipe */
	} w[FETCH_POOL_MAX];
	size_t n;
};
/* Start up to n unpackers (at most o->jobs); failing to is not an error,
 * the layers then start their own. */
void registry_fetch_prepare(struct fetch_pool *pool, size_t n, const struct fetch_opts *o);
/* Stop the ones no layer took. */
void registry_fetch_pool_end(struct fetch_pool *pool);

/* All layers unpacked, or -1 with the first failure in err (the others
 * are stopped). pool: NULL, or unpackers to use first. */
int registry_fetch_layers(struct registry *r, struct fetch_layer *ls, size_t n,
			  const struct fetch_opts *o, struct fetch_pool *pool,
			  struct tk_err *err);

#endif
