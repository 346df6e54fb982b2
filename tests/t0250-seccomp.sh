#!/bin/sh
test_description='the default seccomp filter: what it refuses, and how to turn it off'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq ROOT || test_skip_all "needs root (installs a setuid helper, adds a user)"
test_have_prereq BUSYBOX || test_skip_all "needs a static /bin/busybox (busybox-static)"
test_have_prereq CC || test_skip_all "needs a C compiler for the probe"

# probe: a static program that tries what the filter refuses and prints
# name=errno-name for each (ok when the call succeeded).
write_probe() {
	cat >probe.c <<-\EOF
	#define _GNU_SOURCE
	#include <errno.h>
	#include <sched.h>
	#include <stdio.h>
	#include <string.h>
	#include <sys/ioctl.h>
	#include <sys/syscall.h>
	#include <termios.h>
	#include <unistd.h>

	static void
	show(const char *name, long r)
	{
		printf("%s=%s\n", name, r >= 0 ? "ok" : strerrorname_np(errno));
	}

	int
	main(void)
	{
		char c = 'x';
		show("tiocsti", ioctl(0, TIOCSTI, &c));
		show("tiocsti-high-bits", syscall(SYS_ioctl, 0, 0x100000000UL | TIOCSTI, &c));
		show("clone3", syscall(SYS_clone3, NULL, 0));
		show("unshare-user", unshare(CLONE_NEWUSER));
		show("keyctl", syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3, 0));
		show("io_uring_setup", syscall(SYS_io_uring_setup, 1, NULL));
		show("getpid", getpid());
		return 0;
	}
	EOF
	cc -static -O2 -o probe probe.c
}

test_expect_success 'setup: helper, busybox image, probe image, member alice' '
	tk_setup_helper &&
	tk_busybox_image busybox &&
	write_probe &&
	mkdir -p probeimg && cp probe probeimg/probe &&
	tar -C probeimg -czf probe.tar.gz . &&
	tk-pull -q --name probe tar:probe.tar.gz >/dev/null &&
	tk_add_user alice &&
	chmod 644 probe.tar.gz &&
	tk_as alice tk-pull -q --name probe "tar:$TRASH/probe.tar.gz" >/dev/null
'

test_expect_success 'a filter is on in the container by default (Seccomp: 2)' '
	tk-run --rm busybox grep "^Seccomp:" /proc/self/status >out &&
	printf "Seccomp:\t2\n" >expect &&
	test_cmp expect out
'

test_expect_success 'new user namespaces, keyrings, io_uring, TIOCSTI refused; clone3 is ENOSYS' '
	tk-run --rm probe /probe </dev/null >out &&
	cat >expect <<-\EOF &&
	tiocsti=EPERM
	tiocsti-high-bits=EPERM
	clone3=ENOSYS
	unshare-user=EPERM
	keyctl=EPERM
	io_uring_setup=EPERM
	getpid=ok
	EOF
	test_cmp expect out
'

test_expect_success 'the same for a member of tk (setuid helper)' '
	tk_as alice tk-run --rm probe /probe </dev/null >out &&
	test_cmp expect out
'

test_expect_success '--security-opt seccomp=unconfined: no filter, and the calls get through' '
	tk-run --rm --security-opt seccomp=unconfined busybox \
		grep "^Seccomp:" /proc/self/status >out &&
	printf "Seccomp:\t0\n" >expect &&
	test_cmp expect out &&
	tk_as alice tk-run --rm --security-opt seccomp=unconfined probe /probe </dev/null >out &&
	grep -x "unshare-user=ok" out &&
	grep -x "tiocsti=ENOTTY" out
'

test_expect_success 'a bad --security-opt is refused with the accepted values' '
	test_status 125 tk-run --rm --security-opt seccomp=/etc/x.json busybox true 2>err &&
	grep "seccomp=unconfined" err &&
	test_status 0 tk-run --rm --security-opt no-new-privileges busybox true
'

test_expect_success 'the filter is not the helper'"'"'s: it takes no --seccomp' '
	test_status 2 "$TK_HELPER" start --seccomp unconfined x 2 2>err &&
	test_grep "unknown option" err
'

test_done
