/*
 * tk-stop: stop running containers: the stop signal (-s, else the image's
 * StopSignal, else SIGTERM) to the container's pid 1, then SIGKILL when it
 * has not ended after the timeout. The process is pinned by a pidfd and
 * checked against the helper's record, so a reused pid is never signalled.
 *
 * A pid 1 ignores every signal it has no handler for, SIGTERM included
 * (the kernel protects a namespace's init): such a payload ends by SIGKILL
 * after the timeout, as with docker stop.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "container.h"
#include "image.h"
#include "store.h"
#include "util.h"
#include "banned.h"

static const char usage_text[] =
	"Usage: tk-stop [OPTIONS] CONTAINER...\n"
	"Stop running containers: send the stop signal, then SIGKILL after a timeout.\n"
	"\n"
	"  -t, --time SECONDS   wait this long before SIGKILL (default 10)\n"
	"  -s, --signal SIGNAL  the stop signal (default: the image's StopSignal,\n"
	"                       else SIGTERM); a name (TERM, SIGINT) or a number\n"
	"  -                    read names from stdin, one per line\n"
	"      --root DIR       the store (default: $TK_ROOT, ~/.local/share/tk)\n"
	"      --help           show this help\n";

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
	{ "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "BUS", SIGBUS }, { "FPE", SIGFPE },
	{ "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "CHLD", SIGCHLD },
	{ "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },
	{ "TTOU", SIGTTOU }, { "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
	{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO },
	{ "PWR", SIGPWR }, { "SYS", SIGSYS },
};

/* "TERM", "SIGTERM", "sigterm", "15", "SIGRTMIN+3": the number, or -1. */
static int
parse_signal(const char *s)
{
	char *end;
	long v;

	if (*s >= '0' && *s <= '9') {
		errno = 0;
		v = strtol(s, &end, 10);
		return errno || *end || v < 1 || v >= SIGRTMAX + 1 ? -1 : (int)v;
	}
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (!strcasecmp(s, signals[i].name))
			return signals[i].sig;
	if (!strncasecmp(s, "RTMIN+", 6)) {
		errno = 0;
		v = strtol(s + 6, &end, 10);
		if (!errno && !*end && s[6] >= '0' && s[6] <= '9' && SIGRTMIN + v <= SIGRTMAX)
			return SIGRTMIN + (int)v;
	}
	return -1;
}

static int stop_signal = -1;
static long timeout_s = 10;

static int
image_stop_signal(struct tk_store *st, const struct tk_container *c)
{
	struct tk_image img;
	int sig = SIGTERM;

	if (image_load(st, c->image_id, &img, NULL) < 0)
		return SIGTERM;   /* the image is gone: the default */
	if (img.stop_signal && parse_signal(img.stop_signal) > 0)
		sig = parse_signal(img.stop_signal);
	image_free(&img);
	return sig;
}

static int
stop_one(void *ctx, const char *ref)
{
	struct tk_store *st = ctx;
	struct tk_container c;
	struct tk_err err;
	int sig, r = 0;

	if (container_resolve(st, ref, &c, &err) < 0) {
		tk_warn("%s", err.msg);
		return -1;
	}
	if (c.state == TK_RUNNING) {
		sig = stop_signal > 0 ? stop_signal : image_stop_signal(st, &c);
		if (container_stop(&c, sig, timeout_s > 0 ? (int)(timeout_s * 1000) : 0, &err) < 0) {
			tk_warn("cannot stop '%s': %s", ref, err.msg);
			r = -1;
		} else {
			/* Done when the helper has written the exit status. */
			container_wait_finished(st, &c);
		}
	}
	if (r == 0)
		puts(ref);
	container_free(&c);
	return r;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "time", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 't' },
		{ "signal", required_argument, NULL, 's' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	struct tk_store st = { .fd = -1 };
	struct tk_err err;
	const char *root = NULL;
	char *end;
	int opt, failed = 0;

	tk_prog = "tk-stop";
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "t:s:", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			errno = 0;
			timeout_s = strtol(optarg, &end, 10);
			if (errno || *end || optarg[0] < '0' || optarg[0] > '9' || timeout_s > 86400 * 365)
				tk_usage_error("bad --time '%s': whole seconds", optarg);
			break;
		case 's':
			if ((stop_signal = parse_signal(optarg)) < 0)
				tk_usage_error("unknown signal '%s'", optarg);
			break;
		case 'r': root = optarg; break;
		case 'H': return tk_print_help(usage_text);
		default: tk_usage_error("bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		tk_usage_error("no container given");
	if (store_open(&st, root, false, &err) < 0)
		tk_die_err(1, &err);
	failed = cli_each_ref(argc, argv, optind, false, stop_one, &st);
	if (fflush(stdout) != 0)
		tk_die(1, "write error");
	return failed ? 1 : 0;
}
