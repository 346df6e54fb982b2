#include <stdio.h>
#include <string.h>

#include "ref.h"
#include "util.h"
#include "banned.h"

static bool
is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
is_word(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '_';
}

/* One repository component, s[0..n): alnum runs joined by '.', '_', '__'
 * or any run of '-'. */
static bool
valid_component(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	while (i < n) {
		if (is_lower_alnum(s[i])) {
			i++;
			continue;
		}
		if (s[i] == '.' || (s[i] == '_' && s[i + 1] != '_'))
			i++;
		else if (s[i] == '_' && i + 1 < n && s[i + 1] == '_')
			i += 2;
		else if (s[i] == '-')
			while (i < n && s[i] == '-')
				i++;
		else
			return false;
		if (i >= n || !is_lower_alnum(s[i]))
			return false;
	}
	return true;
}

/* host[:port], or [v6]:port. Labels of letters, digits and '-'. */
static bool
valid_host(const char *s, size_t n)
{
	size_t i = 0, end = n;
	const char *colon = NULL;

	/* It must fit struct image_ref's host (fuzz/lib-parsers found a
	 * 256-byte host written one past the end). */
	if (n == 0 || n >= sizeof(((struct image_ref *)0)->host))
		return false;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close || close == s + 1)
			return false;
		for (const char *p = s + 1; p < close; p++)
			if (!(is_lower_alnum(*p) || (*p >= 'A' && *p <= 'F') || *p == ':' ||
			      *p == '.'))
				return false;
		i = close + 1 - s;
		if (i == n)
			return true;
		if (s[i] != ':')
			return false;
		colon = s + i;
	} else {
		colon = memchr(s, ':', n);
		end = colon ? (size_t)(colon - s) : n;
		if (end == 0)
			return false;
		for (size_t k = 0; k < end; k++) {
			char c = s[k];
			bool alnum = is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
			bool label_edge = k == 0 || k + 1 == end || s[k - 1] == '.' ||
					  s[k + 1] == '.';
			if (alnum || (c == '.' && k > 0 && k + 1 < end && s[k - 1] != '.'))
				continue;
			if (c == '-' && !label_edge)
				continue;
			return false;
		}
	}
	if (colon) {
		size_t plen = s + n - colon - 1;
		if (plen == 0 || plen > 5)
			return false;
		for (const char *p = colon + 1; p < s + n; p++)
			if (*p < '0' || *p > '9')
				return false;
	}
	return true;
}

static bool
valid_tag(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128 || !is_word(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

static int
bad_ref(const char *s, const char *why, struct tk_err *err)
{
	char q[300];

	return tk_err_set(err, "invalid image reference '%s': %s", tk_quote(s, q, sizeof(q)),
			  why);
}

int
ref_parse(const char *s, struct image_ref *r, struct tk_err *err)
{
	char buf[512];
	char *name = buf, *at, *slash, *colon, *p;
	size_t n;

	memset(r, 0, sizeof(*r));
	if (!strncmp(s, "docker://", 9))
		s += 9;
	n = strlen(s);
	if (n == 0)
		return bad_ref(s, "empty", err);
	if (n >= sizeof(buf))
		return bad_ref(s, "too long", err);
	memcpy(buf, s, n + 1);

	at = strchr(name, '@');
	if (at) {
		*at++ = 0;
		if (strncmp(at, "sha256:", 7) != 0 || !tk_valid_hex64(at + 7))
			return bad_ref(s, "a digest is sha256: and 64 lower-case hex digits", err);
		memcpy(r->digest, at + 7, 65);
	}
	/* A ':' after the last '/' starts the tag (one before is a port). */
	slash = strrchr(name, '/');
	colon = strrchr(name, ':');
	if (colon && (!slash || colon > slash)) {
		*colon++ = 0;
		if (!valid_tag(colon))
			return bad_ref(s, "bad tag", err);
		memcpy(r->tag, colon, strlen(colon) + 1);
	}
	slash = strchr(name, '/');
	if (slash) {
		size_t hl = slash - name;
		bool lower = true;

		for (size_t i = 0; i < hl; i++)
			if (name[i] >= 'A' && name[i] <= 'Z')
				lower = false;
		if (memchr(name, '.', hl) || memchr(name, ':', hl) || !lower ||
		    (hl == 9 && !strncmp(name, "localhost", 9))) {
			if (!valid_host(name, hl))
				return bad_ref(s, "bad registry host", err);
			memcpy(r->host, name, hl);
			r->host[hl] = 0;
			name = slash + 1;
		}
	}
	if (!r->host[0])
		memcpy(r->host, "docker.io", sizeof("docker.io"));
	if (!strcmp(r->host, "index.docker.io") || !strcmp(r->host, "registry-1.docker.io"))
		memcpy(r->host, "docker.io", sizeof("docker.io"));
	for (p = name;;) {
		char *end = strchr(p, '/');
		size_t cl = end ? (size_t)(end - p) : strlen(p);

		if (!valid_component(p, cl))
			return bad_ref(s, cl ? "repository names are lower-case letters, digits "
					       "and separators" : "empty path component", err);
		if (!end)
			break;
		p = end + 1;
	}
	if (!strcmp(r->host, "docker.io") && !strchr(name, '/')) {
		if (snprintf(r->repo, sizeof(r->repo), "library/%s", name) >= (int)sizeof(r->repo))
			return bad_ref(s, "name too long", err);
	} else if (snprintf(r->repo, sizeof(r->repo), "%s", name) >= (int)sizeof(r->repo)) {
		return bad_ref(s, "name too long", err);
	}
	if (strlen(r->host) + 1 + strlen(r->repo) > 255)
		return bad_ref(s, "name longer than 255 bytes", err);
	if (!r->tag[0] && !r->digest[0])
		memcpy(r->tag, "latest", sizeof("latest"));
	return 0;
}

void
ref_format(const struct image_ref *r, char *buf, size_t n)
{
	if (r->tag[0])
		snprintf(buf, n, "%s/%s:%s", r->host, r->repo, r->tag);
	else
		snprintf(buf, n, "%s/%s@sha256:%s", r->host, r->repo, r->digest);
}

const char *
ref_api_host(const struct image_ref *r)
{
	return strcmp(r->host, "docker.io") ? r->host : "registry-1.docker.io";
}

bool
ref_host_is_loopback(const char *host)
{
	char h[256];
	const char *colon;
	size_t n;

	if (host[0] == '[')
		return !strncmp(host, "[::1]", 5) && (host[5] == 0 || host[5] == ':');
	colon = strchr(host, ':');
	n = colon ? (size_t)(colon - host) : strlen(host);
	if (n >= sizeof(h))
		return false;
	memcpy(h, host, n);
	h[n] = 0;
	if (!strcmp(h, "localhost"))
		return true;
	if (strncmp(h, "127.", 4) != 0)
		return false;
	/* 127.a.b.c, numbers only */
	for (const char *p = h + 4; *p; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '.'))
			return false;
	return true;
}

bool
ref_is_registry(const char *s)
{
	return strncmp(s, "tar:", 4) != 0 && strncmp(s, "oci:", 4) != 0 &&
	       strncmp(s, "docker-archive:", 15) != 0;
}
