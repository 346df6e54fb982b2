/*
 * HTTP for the registry client, over libcurl: easy handles set up one way
 * (http and https only, TLS verified unless told otherwise, redirects
 * followed with credentials kept for the first host), the response headers
 * the registry protocol needs, and WWW-Authenticate challenges.
 */
#ifndef TK_HTTP_H
#define TK_HTTP_H
#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "err.h"

struct http_auth {
	const char *user, *pass;   /* basic, or NULL */
	const char *bearer;        /* a token, or NULL */
};

/* What the last response (after redirects) said. */
struct http_headers {
	char content_type[256];
	char digest[128];          /* Docker-Content-Digest */
	char challenge[1024];      /* WWW-Authenticate */
	char content_range[128];
	long long content_length;  /* -1 when absent */
};

/* A buffered GET: body at most max bytes. */
struct http_resp {
	long status;
	char *body;                /* NUL-terminated; free() it */
	size_t len, max;
	bool too_big;
	struct http_headers h;
};

/* A new easy handle for url. insecure: do not verify TLS. redirects: the
 * protocols redirects may go to ("https", or "http,https"). */
CURL *http_handle(const char *url, bool insecure, const char *redirects,
		  const struct http_auth *auth, struct curl_slist *headers);
/* Capture headers of the response into h (reset at each new status line). */
void http_capture_headers(CURL *h, struct http_headers *hh);
/* Run a buffered request. Fills r (status 0 and err on transport errors);
 * returns -1 only for transport errors and bodies over r->max. */
int http_get(CURL *h, struct http_resp *r, struct tk_err *err);
void http_resp_free(struct http_resp *r);
/* One curl error as a message. */
int http_curl_err(CURLcode c, const char *url, struct tk_err *err);

/* A challenge: scheme ("Bearer", "Basic") and its realm, service, scope. */
struct http_challenge {
	char scheme[16];
	char realm[512];
	char service[256];
	char scope[512];
};
int http_parse_challenge(const char *s, struct http_challenge *c, struct tk_err *err);

/* Base64 (standard alphabet). The decoder refuses bad input. */
char *http_base64(const void *data, size_t len);
char *http_unbase64(const char *s, size_t *len, struct tk_err *err);
/* %-escape s for a query string. */
char *http_escape(const char *s);

#endif
