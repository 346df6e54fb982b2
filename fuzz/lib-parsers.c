/* libFuzzer: lib's small parsers: image references (ref_parse, then
 * ref_format round trip), names and ids, sizes (parse_size), quoting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-spec.h"
#include "ref.h"
#include "util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), out[1024], q[64];
	struct image_ref r, r2;
	struct tk_err err = { 0 };
	uint64_t v;

	memcpy(s, data, size);
	s[size] = 0;
	if (ref_parse(s, &r, &err) == 0) {
		ref_format(&r, out, sizeof(out));
		/* What was accepted formats to a reference that parses the
		 * same (the name keeps the tag, or else the digest: ref.h). */
		if (ref_parse(out, &r2, &err) != 0 || strcmp(r.host, r2.host) ||
		    strcmp(r.repo, r2.repo) || strcmp(r.tag, r2.tag) ||
		    (!r.tag[0] && strcmp(r.digest, r2.digest)))
			abort();
		(void)ref_api_host(&r);
	}
	if (tk_valid_name(s) && (strchr(s, '/') || !strcmp(s, ".") || !strcmp(s, "..")))
		abort();
	if (parse_size(s, 1, UINT64_MAX, &v, &err) == 0 && v == 0)
		abort();
	tk_quote(s, q, sizeof(q));
	if (strlen(q) >= sizeof(q) || strchr(q, '\n'))
		abort();
	free(s);
	return 0;
}
