/*
 * tk-helper: the only privileged program of tk (setuid root, 4750 root:tk,
 * or run through sudo). It does the few things that need root and nothing
 * else: a closed verb table, each verb with a fixed grammar, no option
 * strings or paths that it would use with root's rights (SECURITY.md 1, 17).
 *
 * Start-up hygiene comes first, before anything reads input: argv[0]
 * (SECURITY.md 5), descriptors (6), environment (7), umask and signals (8),
 * dumpability (9). Only then is the caller identified (11-13) and a verb
 * run.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper.h"

bool privileged;

struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	bool fds;        /* keeps fds 3 and 4 open (the verb checks them) */
};

static const struct verb verbs[] = {
	{ "start", verb_start, true },
	{ "idmap", verb_idmap, false },
	{ "join", verb_join, false },
};
/* "check VERB ...": VERB's policy, unprivileged (check.c). */

/* Reopen fds 0-2 on /dev/null when they are closed, so nothing we open
 * later can land on them and receive output meant for a terminal. The
 * lower ones are open by then: open() must return FD itself. */
static void
sanitize_stdio(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF && open("/dev/null", O_RDWR) != fd)
			_exit(TK_EXIT_FAIL);
}

static void
reset_signals(void)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t all;

	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &sa, NULL);   /* EINVAL for the reserved ones */
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

static _Noreturn void
usage(void)
{
	die(2, "usage: tk-helper start [--userns host] [LIMIT VALUE]... ID PID|- | join ID PID | idmap PID | check VERB ... (not for direct use; see tk-helper(8))");
}

int
main(int argc, char **argv)
{
	const struct verb *v = NULL;
	size_t total = 0;
	bool check = false;

	/* SECURITY.md 5 (pkexec CVE-2021-4034): no argv, no work. */
	if (argc < 1 || !argv[0] || !argv[0][0])
		_exit(127);

	/* SECURITY.md 9: nobody may ptrace or read our memory while we hold
	 * privileges or host fds. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		_exit(TK_EXIT_FAIL);
	sanitize_stdio();
	umask(022);
	reset_signals();

	if (argc >= 2 && !strcmp(argv[1], "check")) {
		check = true;
		argc--;
		argv++;
	}
	/* Which verb decides which descriptor survives; nothing else does. */
	for (size_t i = 0; argc >= 2 && i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].name))
			v = &verbs[i];
	if (close_range(v && v->fds ? 5 : 3, ~0U, 0) < 0)
		_exit(TK_EXIT_FAIL);

	/* SECURITY.md 7: read the two variables sudo mode needs, then drop
	 * the whole environment. */
	policy_identify_caller();
	if (clearenv() != 0 || setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1) < 0)
		die(TK_EXIT_FAIL, "cannot reset the environment");

	if (check)
		check_begin();
	else if (geteuid() != 0)
		die(TK_EXIT_FAIL, "not running as root: install tk-helper setuid root "
		    "(make install as root) or use sudo mode (see tk-helper(8)); "
		    "no_new_privs or a nosuid mount also prevent it");
	privileged = !check;
	limits_for_helper();

	/* SECURITY.md 16: bounded argv before any parsing. */
	if (argc > TK_MAX_ARGS)
		die(2, "too many arguments");
	for (int i = 0; i < argc; i++) {
		size_t n = strnlen(argv[i], TK_MAX_ARGLEN + 1);
		if (n > TK_MAX_ARGLEN)
			die(2, "argument too long");
		total += n;
	}
	if (total > 4 * TK_MAX_ARGLEN)
		die(2, "arguments too long");

	policy_load_config();
	if (!v)
		usage();
	return v->fn(argc - 1, argv + 1);
}
