/*
 * sha256 digests (OpenSSL EVP): streaming contexts and "sha256:<hex>"
 * strings as OCI writes them.
 */
#ifndef TK_DIGEST_H
#define TK_DIGEST_H
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct digest_ctx {
	void *md;          /* EVP_MD_CTX */
	unsigned long long bytes;
};

int digest_init(struct digest_ctx *d, struct tk_err *err);
void digest_update(struct digest_ctx *d, const void *buf, size_t len);
/* Write 64 lower-case hex digits and a NUL into hex; frees the context. */
void digest_final(struct digest_ctx *d, char hex[65]);
/* Free a context that was not finalised (safe to call twice). */
void digest_free(struct digest_ctx *d);
/* sha256 of a buffer, as hex. */
void digest_buf(const void *buf, size_t len, char hex[65]);
/* "sha256:<64 hex>" -> hex (65 bytes). Refuses other algorithms and malformed
 * digests. */
int digest_parse(const char *s, char hex[65], struct tk_err *err);

#endif
