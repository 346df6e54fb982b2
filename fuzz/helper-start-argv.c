/* libFuzzer: the start verb's argv grammar (helper/start.c parse_args),
 * with the caller root or not. Everything but parse_args is linked,
 * unused. */
#include "../helper/start.c"
#include "argv.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cg_limits l;
	const char *id;
	uint32_t pid;
	bool userns_host;
	char *argv[FUZZ_MAX_ARGS + 1], *buf;
	jmp_buf jb;
	int argc;

	if (size < 1)
		return 0;
	caller.root = data[0] & 1;
	argc = fuzz_argv(data + 1, size - 1, "start", argv, &buf);
	tk_fuzz_jmp = &jb;
	if (!setjmp(jb)) {
		parse_args(argc, argv, &l, &id, &pid, &userns_host);
		/* What passed must hold the grammar the rest relies on. */
		/* ID and PID, or "-": both come on fd 3 (id stays NULL). */
		if (id ? !tk_valid_id(id) || pid < 2 || pid > (1U << 22)
		       : pid != 0 || strcmp(argv[argc - 1], "-"))
			abort();
		if (userns_host && !caller.root)
			abort();
		if (l.cpuset[0] && !tk_valid_cpuset(l.cpuset))
			abort();
	}
	tk_fuzz_jmp = NULL;
	free(buf);
	return 0;
}
