#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "json.h"
#include "registry.h"
#include "util.h"
#include "banned.h"

#define TOKEN_MAX (64 << 10)

static const char *const manifest_types[] = {
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.docker.distribution.manifest.v2+json",
	NULL,
};

static void
global_init(void)
{
	static bool done;

	if (!done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		done = true;
	}
}

static bool
may_use_http(const char *host, const struct registry_opts *o)
{
	return (o && o->insecure) || ref_host_is_loopback(host);
}

static CURL *
reg_handle(struct registry *r, const char *url, struct curl_slist *hdrs)
{
	struct http_auth a = { 0 };

	if (r->token)
		a.bearer = r->token;
	else if (r->basic && r->creds.user) {
		a.user = r->creds.user;
		a.pass = r->creds.pass;
	}
	r->requests++;
	return http_handle(url, r->tls_noverify,
			   strncmp(r->base, "http://", 7) ? "https" : "http,https", &a, hdrs);
}

/* The registry's own error message from an error body, if any. */
static void
error_detail(const struct http_resp *resp, char *buf, size_t n)
{
	cleanup_json json_t *j = NULL;
	json_t *e;
	const char *m, *code;

	buf[0] = 0;
	if (!resp->body || !resp->len)
		return;
	j = json_parse_object(resp->body, resp->len, "error", NULL);
	e = json_array_get(json_object_get(j, "errors"), 0);
	m = json_str(e, "message");
	code = json_str(e, "code");
	if (m || code) {
		char q[200];
		snprintf(buf, n, ": %s", tk_quote(m ? m : code, q, sizeof(q)));
	}
}

static int
status_err(struct registry *r, const struct http_resp *resp, const char *what,
	   struct tk_err *err)
{
	char detail[256];

	error_detail(resp, detail, sizeof(detail));
	if (resp->status == 401 || resp->status == 403)
		return tk_err_set(err, "%s: access denied by '%s' (HTTP %ld%s); log in with "
				  "tk-login %s, or pass --creds", what, r->ref.host, resp->status,
				  detail, r->ref.host);
	if (resp->status == 404)
		return tk_err_set(err, "%s: not found in '%s'%s", what, r->ref.host, detail);
	if (resp->status == 429)
		return tk_err_set(err, "%s: '%s' says too many requests (HTTP 429): try later",
				  what, r->ref.host);
	return tk_err_set(err, "%s: '%s' answered HTTP %ld%s", what, r->ref.host, resp->status,
			  detail);
}

/* A URL the registry named (a token realm): https, or http where plain
 * HTTP is allowed. */
static bool
realm_ok(struct registry *r, const char *url, const struct registry_opts *o)
{
	if (!strncmp(url, "https://", 8))
		return true;
	if (strncmp(url, "http://", 7) != 0)
		return false;
	if (o && o->insecure)
		return true;
	{
		char host[256];
		size_t n = strcspn(url + 7, "/?#");
		if (n >= sizeof(host))
			return false;
		memcpy(host, url + 7, n);
		host[n] = 0;
		return ref_host_is_loopback(host) || !strncmp(r->base, "http://", 7);
	}
}

/* The refused-token message: whose credentials, and what to do. */
static int
token_refused(struct registry *r, struct tk_err *err)
{
	if (r->creds.identity)
		return tk_err_set(err, "the identity token for '%s' (from %s) was refused by its "
				  "token service: log in again", r->ref.host, r->creds.from);
	if (r->creds.user)
		return tk_err_set(err, "login to '%s' refused for user '%s' (credentials from %s)",
				  r->ref.host, r->creds.user, r->creds.from);
	return tk_err_set(err, "'%s' refused an anonymous token: log in with tk-login %s, "
			  "or pass --creds", r->ref.host, r->ref.host);
}

/*
 * A bearer token from the realm: GET with the credentials as Basic auth
 * (or none), or, for an identity token, the OAuth2 refresh grant POSTed
 * as Docker does it (grant_type=refresh_token).
 */
static int
fetch_token(struct registry *r, const char *scope, struct tk_err *err)
{
	cleanup_free char *svc = http_escape(r->ch.service), *sc = NULL, *url = NULL;
	cleanup_free char *rt = NULL, *form = NULL;
	struct http_resp resp = { .max = TOKEN_MAX };
	struct http_auth a = { r->creds.user, r->creds.pass, NULL };
	cleanup_json json_t *j = NULL;
	const char *tok;
	CURL *h;
	int ret = -1;

	sc = scope ? http_escape(scope) : NULL;
	if (r->creds.identity) {
		rt = http_escape(r->creds.pass);
		form = xasprintf("grant_type=refresh_token&client_id=tk&service=%s%s%s"
				 "&refresh_token=%s", svc, sc ? "&scope=" : "", sc ? sc : "", rt);
		explicit_bzero(rt, strlen(rt));
		h = http_handle(r->ch.realm, r->tls_noverify, "https", NULL, NULL);
		if (h)
			curl_easy_setopt(h, CURLOPT_COPYPOSTFIELDS, form);
		explicit_bzero(form, strlen(form));
	} else {
		url = xasprintf("%s%cservice=%s%s%s", r->ch.realm,
				strchr(r->ch.realm, '?') ? '&' : '?', svc, sc ? "&scope=" : "",
				sc ? sc : "");
		h = http_handle(url, r->tls_noverify, "https", r->creds.user ? &a : NULL, NULL);
	}
	r->requests++;
	if (!h)
		return tk_err_set(err, "cannot set up HTTP");
	if (http_get(h, &resp, err) < 0)
		goto out;
	if (resp.status == 401 || resp.status == 403 || (r->creds.identity && resp.status == 400)) {
		token_refused(r, err);
		goto out;
	}
	if (resp.status != 200) {
		tk_err_set(err, "token service '%s' answered HTTP %ld", r->ch.realm, resp.status);
		goto out;
	}
	j = json_parse_object(resp.body, resp.len, "token response", err);
	if (!j)
		goto out;
	tok = json_str(j, "token");
	if (!tok || !*tok)
		tok = json_str(j, "access_token");
	if (!tok || !*tok || strpbrk(tok, "\r\n")) {
		tk_err_set(err, "token service '%s' gave no usable token", r->ch.realm);
		goto out;
	}
	free(r->token);
	r->token = xstrdup(tok);
	ret = 0;
out:
	http_resp_free(&resp);
	curl_easy_cleanup(h);
	return ret;
}

/* GET /v2/ at base; 1: answered (resp filled), 0: could not connect
 * (err filled), -1: other errors. */
static int
ping(struct registry *r, struct http_resp *resp, struct tk_err *err)
{
	cleanup_free char *url = xasprintf("%s/v2/", r->base);
	CURL *h = reg_handle(r, url, NULL);
	int ret;

	if (!h)
		return tk_err_set(err, "cannot set up HTTP");
	ret = http_get(h, resp, err) < 0 ? 0 : 1;
	curl_easy_cleanup(h);
	return ret;
}

/* Learn the auth scheme from resp (the ping) and get what it needs.
 * scope NULL: check credentials only (tk-login). */
static int
authenticate(struct registry *r, const struct http_resp *resp, const char *scope,
	     const struct registry_opts *o, struct tk_err *err)
{
	if (resp->status == 200)
		return 0;
	if (resp->status != 401)
		return tk_err_set(err, "'%s' is not a registry (GET /v2/ answered HTTP %ld)",
				  r->ref.host, resp->status);
	if (http_parse_challenge(resp->h.challenge, &r->ch, err) < 0)
		return -1;
	if (!strcasecmp(r->ch.scheme, "basic")) {
		if (!r->creds.user)
			return tk_err_set(err, "'%s' wants a login: tk-login %s, or pass --creds",
					  r->ref.host, r->ref.host);
		if (r->creds.identity)
			return tk_err_set(err, "'%s' wants a user name and password, and the "
					  "credentials from %s are an identity token: tk-login %s",
					  r->ref.host, r->creds.from, r->ref.host);
		r->basic = true;
		return 0;
	}
	if (strcasecmp(r->ch.scheme, "bearer") != 0)
		return tk_err_set(err, "'%s' wants unsupported authentication '%s'", r->ref.host,
				  r->ch.scheme);
	if (!realm_ok(r, r->ch.realm, o))
		return tk_err_set(err, "'%s' names a token service that is not https: '%s'",
				  r->ref.host, r->ch.realm);
	return fetch_token(r, scope, err);
}

static int
connect_registry(struct registry *r, const char *scope, const struct registry_opts *o,
		 struct tk_err *err)
{
	struct http_resp resp = { .max = 1 << 16 };
	const char *host = ref_api_host(&r->ref);
	int ret;

	global_init();
	if (auth_lookup(r->ref.host, o ? &o->auth : NULL, &r->creds, err) < 0)
		return -1;
	r->base = xasprintf("https://%s", host);
	r->tls_noverify = may_use_http(r->ref.host, o);
	ret = ping(r, &resp, err);
	if (ret == 0 && may_use_http(r->ref.host, o)) {
		free(r->base);
		r->base = xasprintf("http://%s", host);
		ret = ping(r, &resp, err);
	}
	if (ret == 1)
		ret = authenticate(r, &resp, scope, o, err) < 0 ? -1 : 0;
	else
		ret = -1;
	http_resp_free(&resp);
	return ret;
}

int
registry_open(struct registry *r, const struct image_ref *ref, const struct registry_opts *o,
	      struct tk_err *err)
{
	cleanup_free char *scope = xasprintf("repository:%s:pull", ref->repo);

	memset(r, 0, sizeof(*r));
	r->ref = *ref;
	return connect_registry(r, scope, o, err);
}

void
registry_close(struct registry *r)
{
	auth_creds_free(&r->creds);
	free(r->base);
	free(r->token);
	r->base = r->token = NULL;
}

int
registry_reauth(struct registry *r, struct tk_err *err)
{
	cleanup_free char *scope = xasprintf("repository:%s:pull", r->ref.repo);

	if (!r->token)
		return tk_err_set(err, "access denied by '%s'", r->ref.host);
	return fetch_token(r, scope, err);
}

int
registry_login(const char *host, const struct registry_opts *o, struct tk_err *err)
{
	struct registry r = { 0 };
	int ret;

	snprintf(r.ref.host, sizeof(r.ref.host), "%s", host);
	ret = connect_registry(&r, NULL, o, err);
	if (ret == 0 && !r.creds.user)
		ret = tk_err_set(err, "no credentials for '%s'", host);
	if (ret == 0 && r.basic) {
		/* Basic: the registry itself must take them. */
		struct http_resp resp = { .max = 1 << 16 };
		int got = ping(&r, &resp, err);

		if (got != 1)
			ret = -1;
		else if (resp.status != 200)
			ret = tk_err_set(err, "login to '%s' refused for user '%s' (HTTP %ld)", host,
					 r.creds.user, resp.status);
		http_resp_free(&resp);
	}
	registry_close(&r);
	return ret;
}

static int
get(struct registry *r, const char *url, struct curl_slist *hdrs, struct http_resp *resp,
    struct tk_err *err)
{
	for (int attempt = 0;; attempt++) {
		CURL *h = reg_handle(r, url, hdrs);
		int ret;

		if (!h)
			return tk_err_set(err, "cannot set up HTTP");
		ret = http_get(h, resp, err);
		curl_easy_cleanup(h);
		if (ret < 0)
			return -1;
		/* An expired token: renew once. */
		if (resp->status == 401 && r->token && attempt == 0) {
			if (registry_reauth(r, err) < 0)
				return -1;
			continue;
		}
		return 0;
	}
}

int
registry_get_manifest(struct registry *r, const char *reference, size_t max, char **body,
		      size_t *len, char media_type[256], char digest[128], struct tk_err *err)
{
	cleanup_free char *url = xasprintf("%s/v2/%s/manifests/%s", r->base, r->ref.repo,
					   reference);
	struct curl_slist *hdrs = NULL;
	struct http_resp resp = { .max = max };
	char what[800];
	int ret = -1;

	for (size_t i = 0; manifest_types[i]; i++) {
		cleanup_free char *a = xasprintf("Accept: %s", manifest_types[i]);
		hdrs = curl_slist_append(hdrs, a);
	}
	snprintf(what, sizeof(what), "manifest '%s/%s%s%s'", r->ref.host, r->ref.repo,
		 strncmp(reference, "sha256:", 7) ? ":" : "@", reference);
	if (get(r, url, hdrs, &resp, err) < 0)
		goto out;
	if (resp.status != 200) {
		status_err(r, &resp, what, err);
		goto out;
	}
	snprintf(media_type, 256, "%s", resp.h.content_type);
	snprintf(digest, 128, "%s", resp.h.digest);
	*body = steal_ptr(&resp.body);
	*len = resp.len;
	ret = 0;
out:
	curl_slist_free_all(hdrs);
	http_resp_free(&resp);
	return ret;
}

int
registry_get_blob(struct registry *r, const char *hex, size_t max, char **body, size_t *len,
		  struct tk_err *err)
{
	cleanup_free char *url = xasprintf("%s/v2/%s/blobs/sha256:%s", r->base, r->ref.repo,
					   hex);
	struct http_resp resp = { .max = max };
	char what[100], got[65];
	int ret = -1;

	snprintf(what, sizeof(what), "blob sha256:%.12s", hex);
	if (get(r, url, NULL, &resp, err) < 0)
		goto out;
	if (resp.status != 200) {
		status_err(r, &resp, what, err);
		goto out;
	}
	digest_buf(resp.body, resp.len, got);
	if (strcmp(got, hex) != 0) {
		tk_err_set(err, "%s: digest mismatch: expected sha256:%s, got sha256:%s", what, hex,
			   got);
		goto out;
	}
	*body = steal_ptr(&resp.body);
	*len = resp.len;
	ret = 0;
out:
	http_resp_free(&resp);
	return ret;
}

CURL *
registry_blob_handle(struct registry *r, const char *hex)
{
	cleanup_free char *url = xasprintf("%s/v2/%s/blobs/sha256:%s", r->base, r->ref.repo,
					   hex);

	return reg_handle(r, url, NULL);
}
