/*
 * tk-helper check VERB ARGS... (as doas -C): the whole policy for VERB,
 * run with the caller's own rights only, and a report of what the helper
 * would allow or refuse. Admins and tests use it to try the policy (the
 * group, tk.conf, /etc/subuid and /etc/subgid, the verb's grammar, the
 * store and the container records) without root.
 *
 * Why this is safe in a setuid binary: check_begin() gives up every
 * privilege for good, before the verb's parser runs, so whatever path
 * the verb takes afterwards it runs as the caller; the verbs stop at
 * check_allowed() before their first privileged step, and even a step
 * that were missed would fail for want of privilege. Refusals are printed
 * in full (no generic "permission denied", SECURITY.md 32): the caller
 * learns nothing it could not find out with its own rights.
 */
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "helper.h"

bool check_only;

void
check_begin(void)
{
	check_only = true;
	/* Sudo mode: become SUDO_UID/SUDO_GID (checked as numbers) with no
	 * supplementary groups of root's; group membership is then read
	 * from the group database, as in sudo mode proper. */
	if (policy_resolve_sudo() && setgroups(0, NULL) < 0)
		die_errno(TK_EXIT_FAIL, "check: cannot drop groups");
	become_caller();
	privileged = false;
}

static void
print_map(const char *what, const struct idrange *r, int n)
{
	printf("  %s map:", what);
	for (int i = 0; i < n; i++)
		printf("%s %u %u %u", i ? "," : "", r[i].inside, r[i].outside, r[i].count);
	printf("\n");
}

void
check_allowed(const char *fmt, ...)
{
	struct idmap m;
	va_list ap;

	printf("tk-helper: check: allowed: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (caller uid %u gid %u%s)\n", (unsigned)caller.uid, (unsigned)caller.gid,
	       caller.root ? ", root" : "");
	policy_idmap(&m);
	print_map("uid", m.uid, m.nuid);
	print_map("gid", m.gid, m.ngid);
	if (fflush(stdout) != 0 || ferror(stdout))
		_exit(TK_EXIT_FAIL);
	_exit(0);
}
