/* libFuzzer: the exec verb's argv grammar (helper/exec.c parse_args). */
#include "../helper/exec.c"
#include "argv.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct exec_opts o;
	char *argv[FUZZ_MAX_ARGS + 1], *buf;
	jmp_buf jb;
	int argc;

	argc = fuzz_argv(data, size, "exec", argv, &buf);
	tk_fuzz_jmp = &jb;
	if (!setjmp(jb)) {
		parse_args(argc, argv, &o);
		if (!o.id || !tk_valid_id(o.id) || !o.argv || !o.argv[0])
			abort();
	}
	tk_fuzz_jmp = NULL;
	free(buf);
	return 0;
}
