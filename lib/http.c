#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "http.h"
#include "interrupt.h"
#include "util.h"
#include "banned.h"

#define USER_AGENT "tk-pull/0.1"

/* A caught SIGINT or SIGTERM ends every transfer (tk_interrupted). */
static int
xfer_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
	curl_off_t ulnow)
{
	return tk_interrupted != 0;
}

/* One connection cache, DNS cache and TLS session cache for every handle
 * of the process: the requests of a pull (ping, token, manifests, config,
 * blobs) reuse one connection per host instead of a new TCP and TLS
 * handshake each. tk-pull is single-threaded: no locks. */
static CURLSH *
share(void)
{
	static CURLSH *s;
	static bool tried;

	if (!tried) {
		tried = true;
		s = curl_share_init();
		if (s) {
			curl_share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
			curl_share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
			curl_share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
		}
	}
	return s;
}

CURL *
http_handle(const char *url, bool insecure, const char *redirects,
	    const struct http_auth *auth, struct curl_slist *headers)
{
	CURL *h = curl_easy_init();

	if (!h)
		return NULL;
	if (share())
		curl_easy_setopt(h, CURLOPT_SHARE, share());
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, redirects);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	/* Credentials go to the registry only, never to a redirect's host
	 * (blob storage): curl's default without CURLOPT_UNRESTRICTED_AUTH. */
	curl_easy_setopt(h, CURLOPT_UNRESTRICTED_AUTH, 0L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A stalled connection counts as dropped: under 1 byte/s for 60 s. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, xfer_cb);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	/* Layers are compressed already; manifests are small. */
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, NULL);
	if (insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (auth && auth->bearer) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
		curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, auth->bearer);
	} else if (auth && auth->user) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, auth->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, auth->pass ? auth->pass : "");
	}
	if (headers)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	return h;
}

static void
copy_value(char *dst, size_t n, const char *v, size_t len)
{
	while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
		len--;
	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	if (len >= n)
		len = n - 1;
	memcpy(dst, v, len);
	dst[len] = 0;
}

static size_t
header_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct http_headers *hh = arg;
	size_t len = size * n;
	const char *colon = memchr(buf, ':', len);
	size_t klen;

	if (len >= 5 && !strncmp(buf, "HTTP/", 5)) {
		memset(hh, 0, sizeof(*hh));
		hh->content_length = -1;
		return len;
	}
	if (!colon)
		return len;
	klen = colon - buf;
#define IS(k) (klen == sizeof(k) - 1 && !strncasecmp(buf, k, klen))
	if (IS("content-type"))
		copy_value(hh->content_type, sizeof(hh->content_type), colon + 1,
			   len - klen - 1);
	else if (IS("docker-content-digest"))
		copy_value(hh->digest, sizeof(hh->digest), colon + 1, len - klen - 1);
	else if (IS("www-authenticate") && !hh->challenge[0])
		copy_value(hh->challenge, sizeof(hh->challenge), colon + 1, len - klen - 1);
	else if (IS("content-range"))
		copy_value(hh->content_range, sizeof(hh->content_range), colon + 1,
			   len - klen - 1);
	else if (IS("content-length")) {
		char v[32];
		copy_value(v, sizeof(v), colon + 1, len - klen - 1);
		hh->content_length = strtoll(v, NULL, 10);
	}
#undef IS
	return len;
}

void
http_capture_headers(CURL *h, struct http_headers *hh)
{
	memset(hh, 0, sizeof(*hh));
	hh->content_length = -1;
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, hh);
}

static size_t
body_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct http_resp *r = arg;
	size_t len = size * n;

	if (r->len + len > r->max) {
		r->too_big = true;
		return 0;
	}
	r->body = xrealloc(r->body, r->len + len + 1);
	memcpy(r->body + r->len, buf, len);
	r->len += len;
	r->body[r->len] = 0;
	return len;
}

int
http_curl_err(CURLcode c, const char *url, struct tk_err *err)
{
	return tk_err_set(err, "cannot fetch '%s': %s", url, curl_easy_strerror(c));
}

int
http_get(CURL *h, struct http_resp *r, struct tk_err *err)
{
	CURLcode c;
	char *url = NULL;

	r->status = 0;
	r->len = 0;
	r->too_big = false;
	free(r->body);
	r->body = xcalloc(1, 1);
	http_capture_headers(h, &r->h);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	c = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &url);
	if (r->too_big)
		return tk_err_set(err, "'%s': response larger than %zu bytes", url ? url : "",
				  r->max);
	if (c != CURLE_OK)
		return http_curl_err(c, url ? url : "", err);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	return 0;
}

void
http_resp_free(struct http_resp *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

/* key=value or key="quoted \" value", comma separated. */
int
http_parse_challenge(const char *s, struct http_challenge *c, struct tk_err *err)
{
	const char *p = s;
	size_t n;

	memset(c, 0, sizeof(*c));
	while (*p == ' ')
		p++;
	n = strcspn(p, " ");
	if (n == 0 || n >= sizeof(c->scheme))
		return tk_err_set(err, "bad WWW-Authenticate challenge");
	memcpy(c->scheme, p, n);
	p += n;
	while (*p) {
		char key[32], val[1024];
		size_t kl = 0, vl = 0;

		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		while (*p && *p != '=' && kl < sizeof(key) - 1)
			key[kl++] = tolower((unsigned char)*p++);
		key[kl] = 0;
		if (*p++ != '=')
			return tk_err_set(err, "bad WWW-Authenticate challenge");
		if (*p == '"') {
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1])
					p++;
				if (vl < sizeof(val) - 1)
					val[vl++] = *p;
				p++;
			}
			if (*p != '"')
				return tk_err_set(err, "bad WWW-Authenticate challenge");
			p++;
		} else {
			while (*p && *p != ',' && *p != ' ' && vl < sizeof(val) - 1)
				val[vl++] = *p++;
		}
		val[vl] = 0;
		if (!strcmp(key, "realm"))
			copy_value(c->realm, sizeof(c->realm), val, vl);
		else if (!strcmp(key, "service"))
			copy_value(c->service, sizeof(c->service), val, vl);
		else if (!strcmp(key, "scope"))
			copy_value(c->scope, sizeof(c->scope), val, vl);
	}
	return 0;
}

char *
http_base64(const void *data, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

char *
http_unbase64(const char *s, size_t *len, struct tk_err *err)
{
	size_t n = strlen(s), pad = 0;
	unsigned char *out;
	int r;

	if (n % 4 != 0 || n > (1 << 20)) {
		tk_err_set(err, "bad base64");
		return NULL;
	}
	out = xmalloc(n / 4 * 3 + 1);
	r = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
	if (r < 0) {
		free(out);
		tk_err_set(err, "bad base64");
		return NULL;
	}
	if (n >= 1 && s[n - 1] == '=')
		pad++;
	if (n >= 2 && s[n - 2] == '=')
		pad++;
	*len = r - pad;
	out[*len] = 0;
	return (char *)out;
}

char *
http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = xmalloc(3 * strlen(s) + 1), *w = out;

	for (; *s; s++) {
		unsigned char c = *s;
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
			*w++ = c;
		} else {
			*w++ = '%';
			*w++ = hex[c >> 4];
			*w++ = hex[c & 15];
		}
	}
	*w = 0;
	return out;
}
