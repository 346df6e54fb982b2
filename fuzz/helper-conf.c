/* libFuzzer: /etc/tk/tk.conf's grammar (helper/policy.c parse_config) and
 * the /etc/subuid reader (find_subid), on the same bytes. */
#include <stdio.h>
#include <unistd.h>

#include "../helper/policy.c"
#include "argv.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	char *buf = malloc(size + 1);
	struct idrange r;
	jmp_buf jb;
	FILE *f;

	memcpy(buf, data, size);
	buf[size] = 0;
	tk_fuzz_jmp = &jb;
	if (!setjmp(jb) && !memchr(buf, 0, size))
		parse_config(buf, size);
	tk_fuzz_jmp = NULL;
	free(buf);

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/tk-fuzz-subid.%d", (int)getpid());
	f = fopen(path, "w");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	caller.uid = 1000;
	memcpy(caller.name, "alice", 6);
	if (find_subid(path, &r)) {
		/* Never a range with id 0, empty, or past 2^32 - 1. */
		if (r.outside == 0 || r.count == 0 || (uint64_t)r.outside + r.count > UINT32_MAX)
			abort();
	}
	return 0;
}
