#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "banned.h"

const char *tk_prog = "tk";

static void
vset(struct tk_err *err, int errnum, const char *fmt, va_list ap)
{
	size_t n;

	if (!err)
		return;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	err->code = errnum;
	if (errnum) {
		n = strlen(err->msg);
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(errnum));
	}
}

int
tk_err_set(struct tk_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(err, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int
tk_err_errno(struct tk_err *err, const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vset(err, e, fmt, ap);
	va_end(ap);
	errno = e;
	return -1;
}

int
tk_errno_is_resource(int code)
{
	return code == EMFILE || code == ENFILE || code == ENOMEM;
}

int
tk_print_help(const char *text)
{
	fputs(text, stdout);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: write error: %s\n", tk_prog, strerror(errno));
		return 1;
	}
	return 0;
}

void
tk_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", tk_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
tk_die(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", tk_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

void
tk_die_err(int status, const struct tk_err *err)
{
	tk_die(status, "%s", err->msg);
}

void
tk_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", tk_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", tk_prog);
	exit(2);
}
