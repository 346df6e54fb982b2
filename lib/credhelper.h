/*
 * Docker credential helpers (`credsStore` and `credHelpers` in
 * ~/.docker/config.json): the program docker-credential-NAME, found on
 * PATH and run as the caller, is asked `get` with the server on its
 * standard input and answers {"ServerURL": ..., "Username": ...,
 * "Secret": ...} on its standard output, as Docker and skopeo ask it.
 * Nothing of the credentials goes through argv or the environment.
 */
#ifndef TK_CREDHELPER_H
#define TK_CREDHELPER_H
#include <stdbool.h>

#include "auth.h"
#include "err.h"

/* A helper name as config.json gives it: [A-Za-z0-9_.-]{1,64}. */
bool credhelper_name_ok(const char *name);

/* Ask helper name for server ("https://index.docker.io/v1/" for Docker
 * Hub, else the host). 1 found (c->user and c->pass set), 0 the helper
 * has none for server, -1 error (not installed, failed, bad answer).
 * origin names where the helper was configured, for messages. */
int credhelper_get(const char *name, const char *server, const char *origin,
		   struct auth_creds *c, struct tk_err *err);

#endif
