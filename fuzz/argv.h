/* fuzz/: turn a fuzzer input into an argv (NUL-separated words), and catch
 * the helper's die() (helper/util.c built with -DTK_FUZZ). */
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern jmp_buf *tk_fuzz_jmp;
/* Defined in helper/main.c, which the harnesses leave out. */
bool privileged;

#define FUZZ_MAX_ARGS 64

/* argv[0] is the verb name; words follow. Returns argc; *bufp to free. */
static int
fuzz_argv(const uint8_t *data, size_t size, const char *verb, char **argv, char **bufp)
{
	char *buf = malloc(size + 1);
	int argc = 0;

	memcpy(buf, data, size);
	buf[size] = 0;
	argv[argc++] = (char *)verb;
	for (char *p = buf; p <= buf + size && argc < FUZZ_MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	*bufp = buf;
	return argc;
}
