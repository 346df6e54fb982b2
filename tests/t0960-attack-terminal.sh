#!/bin/sh
test_description='SECURITY.md 27: a container cannot push input into the caller terminal (TIOCSTI); setuid and sudo mode'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib/attack.sh"

test_have_prereq ROOT || test_skip_all "needs root (creates test users, installs the helper)"
test_have_prereq USERNS || test_skip_all "unprivileged user namespaces are disabled"
test_have_prereq BUSYBOX,JQ,PYTHON3,CC || test_skip_all "needs busybox-static, jq, python3 and a C compiler"

# inject CMD...: CMD as alice on a terminal of her own (tests/lib/tty-inject.py);
# its output, then STATUS, then TERMINAL-INPUT when input was pushed.
inject() {
	tk_as alice "$PYTHON" "$TEST_LIB/tty-inject.py" "$@"
}

# no_injection FILE: the command ended well, and nothing reached the
# terminal's input; no TIOCSTI of the payload on the caller's terminal
# (its fds 0-2 without -t) went through.
no_injection() {
	cat "$1" &&
	test_grep -x "STATUS 0" "$1" &&
	test_grep -v "^TERMINAL-INPUT" "$1"
}

test_expect_success 'setup: helpers, member alice, an image with the TIOCSTI probe' '
	attack_setup &&
	tk_add_user alice &&
	cc -static -O2 -o tiocsti "$TEST_LIB/tiocsti.c" &&
	tk_build_busybox_tar "$TRASH/bb.tar.gz" &&
	mkdir img && tar -C img -xzf bb.tar.gz && cp tiocsti img/tiocsti &&
	tar -C img -czf probe.tar.gz . && chmod 644 probe.tar.gz &&
	tk_as alice tk-pull -q --name probe "tar:$TRASH/probe.tar.gz" >/dev/null
'

# The probe works: on the host, on its own controlling terminal, TIOCSTI
# gets through and the detector sees it.
test_expect_success 'control: on the host the probe injects, and that is seen' '
	chmod 755 tiocsti &&
	test_status 3 inject "$TRASH/tiocsti" >out &&
	test_grep "^fd0=ok" out &&
	test_grep "^TERMINAL-INPUT" out
'

for mode in $(attack_modes); do
for sec in "" "--security-opt seccomp=unconfined"; do

test_expect_success "[$mode] tk-run${sec:+ $sec}: the payload cannot push input into the caller terminal" '
	attack_mode '$mode' &&
	oracle_before alice &&
	inject tk-run --rm '"$sec"' probe /tiocsti >out &&
	no_injection out &&
	test_grep "^fd0=" out &&
	test_grep -v "^fd[012]=ok" out &&
	test_grep -v "^tty=ok" out &&
	oracle_after
'

test_expect_success "[$mode] tk-run -it${sec:+ $sec}: the payload has its own pty; nothing reaches the caller" '
	attack_mode '$mode' &&
	oracle_before alice &&
	inject tk-run --rm -it '"$sec"' probe /tiocsti >out &&
	no_injection out &&
	oracle_after
'

test_expect_success "[$mode] tk-exec and tk-exec -it${sec:+ $sec}: the same inside a running container" '
	attack_mode '$mode' &&
	oracle_before alice &&
	tk_as alice tk-rm -f held >/dev/null 2>&1
	tk_as alice tk-run -d --name held '"$sec"' probe /bin/sleep 1000 >/dev/null &&
	inject tk-exec held /tiocsti >out &&
	no_injection out &&
	test_grep "^fd0=" out &&
	test_grep -v "^fd[012]=ok" out &&
	test_grep -v "^tty=ok" out &&
	inject tk-exec -it held /tiocsti >out &&
	no_injection out &&
	tk_as alice tk-rm -f held >/dev/null &&
	oracle_after
'

done
done

test_done
