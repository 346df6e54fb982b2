/*
 * Registry credentials. Where they come from, first match wins:
 *   --creds USER:PASS
 *   --authfile FILE (only that file when given)
 *   tk's own file, $XDG_CONFIG_HOME/tk/auth.json (~/.config/tk/auth.json),
 *   written by tk-login, mode 0600
 *   Docker's $DOCKER_CONFIG/config.json (~/.docker/config.json)
 * The files have Docker's format: {"auths": {"HOST": {"auth":
 * base64("USER:PASS")}}} (or "username" and "password", or
 * "identitytoken": an OAuth2 refresh token that Docker's login keeps for
 * registries that give one, traded at the token service); keys may be
 * written as URLs ("https://index.docker.io/v1/"). In each file, a
 * credential helper (credHelpers for the host, else credsStore; see
 * lib/credhelper.h) is asked before the "auths" entries, as Docker does.
 */
#ifndef TK_AUTH_H
#define TK_AUTH_H
#include <stdbool.h>

#include "err.h"

struct auth_creds {
	char *user;    /* NULL: none found */
	char *pass;
	bool identity; /* pass is an identity (OAuth2 refresh) token, user "<token>" */
	char *from;    /* the file, or "--creds" */
};

struct auth_opts {
	const char *creds;     /* "USER:PASS" or NULL */
	const char *authfile;  /* or NULL */
};

/* Credentials for registry host (as in a reference: "docker.io",
 * "127.0.0.1:5000"). No credentials is not an error. */
int auth_lookup(const char *host, const struct auth_opts *o, struct auth_creds *c,
		struct tk_err *err);
void auth_creds_free(struct auth_creds *c);
/* tk's own file (malloc'd path). */
char *auth_default_file(void);
/* Add or replace (pass non-NULL) or remove (user NULL) host in file,
 * crash-safe, mode 0600; the directory is made 0700 if missing. */
int auth_store(const char *file, const char *host, const char *user, const char *pass,
	       struct tk_err *err);

#endif
