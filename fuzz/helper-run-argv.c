/* libFuzzer: the run verb's argv grammar (helper/run.c parse_args), with
 * the caller root or not. Everything but parse_args is linked, unused. */
#include "../helper/run.c"
#include "argv.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run_opts o;
	char *argv[FUZZ_MAX_ARGS + 1], *buf;
	jmp_buf jb;
	int argc;

	if (size < 1)
		return 0;
	caller.root = data[0] & 1;
	argc = fuzz_argv(data + 1, size - 1, "run", argv, &buf);
	tk_fuzz_jmp = &jb;
	if (!setjmp(jb)) {
		parse_args(argc, argv, &o);
		/* What passed must hold the grammar the rest relies on. */
		if (!o.id || !tk_valid_id(o.id) || o.nlayers < 1 || !o.argv || !o.argv[0])
			abort();
		for (int i = 0; i < o.nlayers; i++)
			if (!valid_hex64(o.layers[i]))
				abort();
		for (int i = 0; i < o.p.nenv; i++)
			if (!strchr(o.p.env[i], '=') || o.p.env[i][0] == '=')
				abort();
		if (o.userns_host && !caller.root)
			abort();
	}
	tk_fuzz_jmp = NULL;
	free(buf);
	return 0;
}
