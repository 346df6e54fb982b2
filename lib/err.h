/*
 * One error convention (STYLE.md): a function that can fail returns -1 or
 * NULL and fills *err; on success it leaves err alone. Tools print err->msg
 * prefixed with their name.
 */
#ifndef TK_ERR_H
#define TK_ERR_H
#include <stdarg.h>

struct tk_err {
	int code;       /* errno, when the failure had one; else 0 */
	char msg[1024];
};

extern const char *tk_prog;  /* "tk-run", set by each tool's main */

/* Fill err; always returns -1 so callers can `return tk_err_set(...)`. */
int tk_err_set(struct tk_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Like tk_err_set, appending ": strerror(errno)". */
int tk_err_errno(struct tk_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* errno says this process ran out of descriptors or memory: never a sign
 * that what it looked for is not there, so never reported as "no such". */
int tk_errno_is_resource(int code);

/* --help: text to stdout; 0, or 1 when stdout cannot be written. */
int tk_print_help(const char *text);
void tk_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "prog: msg" and exit with status. */
_Noreturn void tk_die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
_Noreturn void tk_die_err(int status, const struct tk_err *err);
/* A usage error: the message, then "Try 'prog --help'", exit 2. */
_Noreturn void tk_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
