#include <stdio.h>
#include <stdlib.h>

#include "protocol.h"
#include "start.h"
#include "util.h"
#include "banned.h"

int
start_run_argv(const struct tk_container *c, const struct start_opts *o,
	       const char **hargv, struct tk_err *err)
{
	static char hostbuf[16];
	int n = 0;

	hargv[n++] = "run";
	if (o->rm)
		hargv[n++] = "--rm";
	if (o->detach)
		hargv[n++] = "--notify";
	if (o->tty)
		hargv[n++] = "--tty";
	if (o->init || c->init)
		hargv[n++] = "--init";
	if (c->userns_host) {
		hargv[n++] = "--userns";
		hargv[n++] = "host";
	}
	hargv[n++] = "--net";
	hargv[n++] = c->net_host ? "host" : "none";
	if (c->unconfined) {
		hargv[n++] = "--seccomp";
		hargv[n++] = "unconfined";
	}
	if (!c->hostname)
		snprintf(hostbuf, sizeof(hostbuf), "%.12s", c->id);
	hargv[n++] = "--hostname";
	hargv[n++] = c->hostname ? c->hostname : hostbuf;
	hargv[n++] = "--user";
	hargv[n++] = xasprintf("%u:%u", c->uid, c->gid);
	hargv[n++] = "--workdir";
	hargv[n++] = c->workdir ? c->workdir : "/";
	for (size_t i = 0; c->env && c->env[i]; i++) {
		if (n >= TK_MAX_ARGS - 300)
			return tk_err_set(err, "too many environment variables");
		hargv[n++] = "--env";
		hargv[n++] = c->env[i];
	}
	for (size_t i = 0; c->layers && c->layers[i]; i++) {
		if (n >= TK_MAX_ARGS - 200)
			return tk_err_set(err, "too many layers");
		hargv[n++] = "--layer";
		hargv[n++] = c->layers[i];
	}
	for (size_t i = 0; c->limits && c->limits[i] && n < TK_MAX_ARGS - 100; i++)
		hargv[n++] = c->limits[i];
	hargv[n++] = c->id;
	hargv[n++] = "--";
	for (size_t i = 0; c->argv && c->argv[i]; i++) {
		if (n >= TK_MAX_ARGS - 1)
			return tk_err_set(err, "too many arguments");
		hargv[n++] = c->argv[i];
	}
	hargv[n] = NULL;
	return n;
}
