#include <string.h>

#include <openssl/evp.h>

#include "digest.h"
#include "util.h"
#include "banned.h"

int
digest_init(struct digest_ctx *d, struct tk_err *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	d->md = NULL;
	d->bytes = 0;
	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		return tk_err_set(err, "cannot initialise sha256");
	}
	d->md = md;
	return 0;
}

void
digest_update(struct digest_ctx *d, const void *buf, size_t len)
{
	EVP_DigestUpdate(d->md, buf, len);
	d->bytes += len;
}

static void
to_hex(const unsigned char *raw, unsigned n, char *hex)
{
	static const char x[] = "0123456789abcdef";

	for (unsigned i = 0; i < n; i++) {
		hex[2 * i] = x[raw[i] >> 4];
		hex[2 * i + 1] = x[raw[i] & 15];
	}
	hex[2 * n] = 0;
}

void
digest_final(struct digest_ctx *d, char hex[65])
{
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	EVP_DigestFinal_ex(d->md, raw, &n);
	to_hex(raw, n, hex);
	digest_free(d);
}

void
digest_free(struct digest_ctx *d)
{
	EVP_MD_CTX_free(d->md);
	d->md = NULL;
}

void
digest_buf(const void *buf, size_t len, char hex[65])
{
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	EVP_Digest(buf, len, raw, &n, EVP_sha256(), NULL);
	to_hex(raw, n, hex);
}

int
digest_parse(const char *s, char hex[65], struct tk_err *err)
{
	if (!s || strncmp(s, "sha256:", 7) != 0 || !tk_valid_hex64(s + 7))
		return tk_err_set(err, "unsupported or malformed digest '%s'", s ? s : "");
	memcpy(hex, s + 7, 65);
	return 0;
}
