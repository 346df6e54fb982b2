/*
 * Resource limits: tk-run's flags (--memory-max 256M, --cpus 1.5, the
 * seed's --memmax ...) checked and turned into the helper's numbers
 * (helper/protocol.h: bytes, microseconds per TK_CPU_PERIOD_US). The
 * helper checks them again; these checks give the user the clear message.
 */
#ifndef TK_CGROUP_SPEC_H
#define TK_CGROUP_SPEC_H
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"

/* getopt_long values of the limit flags: LIMIT_OPT_BASE + a cgroup-spec.c index. */
#define LIMIT_OPT_BASE 1000
#define LIMIT_OPT_END 1100

struct tk_limits {
	char *args[32];      /* helper argv: "--memory-max", "268435456", ... */
	int nargs;
	unsigned seen;       /* which flags were given (duplicates refused) */
	bool io, io_device;  /* an io limit, an explicit device */
};

/* tk-run's option table with the limit flags appended; free() it. */
struct option *limits_options(const struct option *base);
/* One flag (getopt value OPT) with its value; dies with a one-line error
 * (exit 125) naming the flag and the accepted range. */
void limits_flag(struct tk_limits *l, int opt, const char *value);
/* After all flags: the io device defaults to the one holding STOREFD. */
void limits_finish(struct tk_limits *l, int storefd);
/* "256M", "1G", "4096", "10K" (B K M G T, powers of 1024) in [min, max]. */
int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out, struct tk_err *err);

#endif
