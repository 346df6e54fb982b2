/*
 * The container's default seccomp filter (SECURITY.md 26: seccomp last).
 * Compiled at build time, unprivileged, by tools/mkseccomp.c with
 * libseccomp; the helper only hands the finished program to the kernel,
 * after no_new_privs, so installing it needs no privilege at all.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helper.h"
#include "seccomp-bpf.h"

void
seccomp_install(void)
{
	struct sock_fprog prog = {
		.len = TK_SECCOMP_LEN,
		.filter = (struct sock_filter *)tk_seccomp_filter,
	};

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		die_errno(TK_EXIT_FAIL, "cannot install the seccomp filter "
			  "(--security-opt seccomp=unconfined runs without one)");
}
