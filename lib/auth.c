#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "credhelper.h"
#include "http.h"
#include "json.h"
#include "util.h"
#include "banned.h"

#define AUTHFILE_MAX (1 << 20)

void
auth_creds_free(struct auth_creds *c)
{
	if (c->pass)
		explicit_bzero(c->pass, strlen(c->pass));
	free(c->user);
	free(c->pass);
	free(c->from);
	c->user = c->pass = c->from = NULL;
	c->identity = false;
}

static char *
home_file(const char *env, const char *fallback, const char *name)
{
	const char *d = getenv(env), *home = getenv("HOME");

	if (d && *d == '/')
		return xasprintf("%s/%s", d, name);
	return xasprintf("%s/%s/%s", home && *home ? home : "/", fallback, name);
}

char *
auth_default_file(void)
{
	return home_file("XDG_CONFIG_HOME", ".config", "tk/auth.json");
}

/* "https://index.docker.io/v1/" -> "index.docker.io"; docker.io's
 * aliases all become "docker.io". */
static void
key_host(const char *key, char *buf, size_t n)
{
	const char *p = strstr(key, "://");
	size_t len;

	p = p ? p + 3 : key;
	len = strcspn(p, "/");
	if (len >= n)
		len = n - 1;
	memcpy(buf, p, len);
	buf[len] = 0;
	if (!strcmp(buf, "index.docker.io") || !strcmp(buf, "registry-1.docker.io") ||
	    !strcmp(buf, "registry.hub.docker.com"))
		snprintf(buf, n, "docker.io");
}

static int
split_userpass(const char *s, size_t len, struct auth_creds *c, struct tk_err *err)
{
	const char *colon = memchr(s, ':', len);

	if (!colon || colon == s)
		return tk_err_set(err, "credentials are not USER:PASSWORD");
	c->user = strndup(s, colon - s);
	c->pass = strndup(colon + 1, len - (colon - s) - 1);
	if (!c->user || !c->pass)
		return tk_err_set(err, "out of memory");
	return 0;
}

static json_t *
load_file(const char *file, bool *missing, struct tk_err *err)
{
	cleanup_close int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	cleanup_free char *buf = NULL;
	size_t len;

	*missing = false;
	if (fd < 0) {
		if (errno == ENOENT) {
			*missing = true;
			return NULL;
		}
		tk_err_errno(err, "cannot open '%s'", file);
		return NULL;
	}
	buf = read_fd_all(fd, AUTHFILE_MAX, &len, file, err);
	if (!buf)
		return NULL;
	return json_parse_object(buf, len, file, err);
}

/* The server name Docker gives a credential helper for host. */
static const char *
helper_server(const char *host)
{
	return strcmp(host, "docker.io") ? host : "https://index.docker.io/v1/";
}

/* credHelpers[host], else credsStore, as Docker asks them: 1 found, 0
 * none configured or the helper has none (then "auths" is next), -1
 * error. */
static int
lookup_helpers(json_t *j, const char *file, const char *host, struct auth_creds *c,
	       struct tk_err *err)
{
	json_t *helpers = json_object_get(j, "credHelpers"), *v;
	const char *key, *store = json_str(j, "credsStore");
	cleanup_free char *origin = NULL;

	if (json_is_object(helpers)) {
		json_object_foreach(helpers, key, v) {
			char kh[256];

			key_host(key, kh, sizeof(kh));
			if (strcmp(kh, host) != 0 || !json_is_string(v))
				continue;
			origin = xasprintf("credHelpers in '%s'", file);
			return credhelper_get(json_string_value(v), helper_server(host), origin,
					      c, err);
		}
	}
	if (store && *store) {
		origin = xasprintf("credsStore in '%s'", file);
		return credhelper_get(store, helper_server(host), origin, c, err);
	}
	return 0;
}

/* 1 found, 0 not there, -1 error. */
static int
lookup_file(const char *file, const char *host, bool must_exist, struct auth_creds *c,
	    struct tk_err *err)
{
	cleanup_json json_t *j = NULL;
	json_t *auths, *e;
	const char *key;
	bool missing;
	int r;

	j = load_file(file, &missing, err);
	if (!j) {
		if (missing && !must_exist)
			return 0;
		if (missing)
			return tk_err_set(err, "cannot open '%s': no such file", file);
		return -1;
	}
	r = lookup_helpers(j, file, host, c, err);
	if (r != 0)
		return r;
	auths = json_object_get(j, "auths");
	if (!json_is_object(auths))
		return 0;
	json_object_foreach(auths, key, e) {
		char kh[256];
		const char *a;

		key_host(key, kh, sizeof(kh));
		if (strcmp(kh, host) != 0 || !json_is_object(e))
			continue;
		if ((a = json_str(e, "identitytoken")) && *a) {
			/* Docker uses it before any user name and password. */
			c->user = xstrdup("<token>");
			c->pass = xstrdup(a);
			c->identity = true;
		} else if ((a = json_str(e, "auth")) && *a) {
			cleanup_free char *dec = NULL;
			size_t len;
			struct tk_err e2;

			dec = http_unbase64(a, &len, &e2);
			if (!dec || split_userpass(dec, len, c, &e2) < 0) {
				if (dec)
					explicit_bzero(dec, len);
				return tk_err_set(err, "'%s': bad \"auth\" entry for '%s'", file, key);
			}
			explicit_bzero(dec, len);
		} else if (json_str(e, "username") && json_str(e, "password")) {
			c->user = xstrdup(json_str(e, "username"));
			c->pass = xstrdup(json_str(e, "password"));
		} else {
			continue;
		}
		c->from = xstrdup(file);
		return 1;
	}
	return 0;
}

int
auth_lookup(const char *host, const struct auth_opts *o, struct auth_creds *c,
	    struct tk_err *err)
{
	cleanup_free char *own = NULL, *docker = NULL;
	int r;

	memset(c, 0, sizeof(*c));
	if (o && o->creds) {
		if (split_userpass(o->creds, strlen(o->creds), c, err) < 0)
			return -1;
		c->from = xstrdup("--creds");
		return 0;
	}
	if (o && o->authfile)
		return lookup_file(o->authfile, host, true, c, err) < 0 ? -1 : 0;
	own = auth_default_file();
	r = lookup_file(own, host, false, c, err);
	if (r != 0)
		return r < 0 ? -1 : 0;
	docker = home_file("DOCKER_CONFIG", ".docker", "config.json");
	if (getenv("DOCKER_CONFIG") && *getenv("DOCKER_CONFIG") == '/') {
		free(docker);
		docker = xasprintf("%s/config.json", getenv("DOCKER_CONFIG"));
	}
	r = lookup_file(docker, host, false, c, err);
	return r < 0 ? -1 : 0;
}

static int
mkdir_parent(const char *file, struct tk_err *err)
{
	cleanup_free char *dir = xstrdup(file);
	char *slash = strrchr(dir, '/');

	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return 0;
	if (errno == ENOENT && mkdir_parent(dir, err) == 0 && mkdir(dir, 0700) == 0)
		return 0;
	return tk_err_errno(err, "cannot create '%s'", dir);
}

int
auth_store(const char *file, const char *host, const char *user, const char *pass,
	   struct tk_err *err)
{
	cleanup_json json_t *j = NULL;
	cleanup_free char *dir = NULL, *text = NULL;
	cleanup_close int dfd = -1;
	json_t *auths;
	const char *base;
	bool missing;

	j = load_file(file, &missing, err);
	if (!j && !missing)
		return -1;
	if (!j)
		j = json_object();
	auths = json_object_get(j, "auths");
	if (!json_is_object(auths)) {
		auths = json_object();
		json_object_set_new(j, "auths", auths);
	}
	if (user) {
		cleanup_free char *up = xasprintf("%s:%s", user, pass);
		cleanup_free char *b64 = http_base64(up, strlen(up));
		json_t *e = json_object();

		explicit_bzero(up, strlen(up));
		json_object_set_new(e, "auth", json_string(b64));
		json_object_set_new(auths, host, e);
	} else if (json_object_del(auths, host) < 0) {
		return tk_err_set(err, "not logged in to '%s' in '%s'", host, file);
	}
	if (mkdir_parent(file, err) < 0)
		return -1;
	dir = xstrdup(file);
	base = strrchr(dir, '/');
	if (base) {
		dir[base - dir] = 0;
		base = file + (base - dir) + 1;
		dfd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		base = file;
		dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (dfd < 0)
		return tk_err_errno(err, "cannot open the directory of '%s'", file);
	text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (!text)
		return tk_err_set(err, "cannot encode '%s'", file);
	return write_file_at(dfd, base, text, strlen(text), 0600, err);
}
