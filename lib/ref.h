/*
 * Image references as Docker writes them:
 *
 *   alpine                      docker.io/library/alpine:latest
 *   team/tool:dev               docker.io/team/tool:dev
 *   127.0.0.1:5000/team/tool    127.0.0.1:5000/team/tool:latest
 *   ghcr.io/o/app@sha256:<hex>  by digest (a tag may stand before the @)
 *   docker://quay.io/x/y:1      the same with a transport prefix
 *
 * The first component is a registry host when it holds a '.' or a ':', is
 * "localhost", or has upper-case letters; otherwise the image is on Docker
 * Hub ("library/" added to one-component names, index.docker.io read as
 * docker.io). Repository components: [a-z0-9]+ joined by '.', '_', '__' or
 * runs of '-'; tags: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; the whole name at
 * most 255 bytes (distribution's grammar).
 */
#ifndef TK_REF_H
#define TK_REF_H
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct image_ref {
	char host[256];     /* "docker.io", "127.0.0.1:5000", "[::1]:5000" */
	char repo[256];     /* "library/alpine" */
	char tag[129];      /* "latest"; "" when only a digest was given */
	char digest[65];    /* hex, or "" */
};

/* Parse s; fills r. "invalid image reference" errors quote s. */
int ref_parse(const char *s, struct image_ref *r, struct tk_err *err);
/* "host/repo:tag" (the name a pulled image gets), or "host/repo@sha256:hex"
 * when there is no tag. */
void ref_format(const struct image_ref *r, char *buf, size_t n);
/* The host to talk to: registry-1.docker.io for docker.io. */
const char *ref_api_host(const struct image_ref *r);
/* A host that names this machine (localhost, 127.0.0.0/8, ::1), with or
 * without a port: plain HTTP is allowed there, as Docker allows. */
bool ref_host_is_loopback(const char *host);
/* Whether s looks like a registry reference rather than a local source
 * (tar:, oci:, docker-archive:, or a path). */
bool ref_is_registry(const char *s);

#endif
