#!/bin/sh
test_description='tk-helper directly: start-up hygiene, callers, start and idmap checks'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq ROOT || test_skip_all "needs root (creates test users, installs a setuid helper)"
test_have_prereq USERNS || test_skip_all "unprivileged user namespaces are disabled"

IDMAP_OWN="sh $TEST_LIB/idmap-own.sh"

test_expect_success CC 'setup: helper, member mallory, non-member eve, test programs' '
	tk_setup_helper &&
	tk_add_user mallory &&
	tk_add_user eve --no-tk &&
	mallory_uid=$(tk_user_uid mallory) &&
	mallory_home=$(tk_user_home mallory) &&
	cc -o execargv "$TEST_LIB/execargv.c" &&
	cc -shared -fPIC -o evil.so "$TEST_LIB/evil-preload.c" &&
	chmod 755 execargv evil.so &&
	mounts_snapshot before
'

test_expect_success 'argc 0: exit 127' '
	test_status 127 tk_as mallory "$TRASH/execargv" empty "$TK_HELPER"
'

test_expect_success 'argv {""}: exit 127' '
	test_status 127 tk_as mallory "$TRASH/execargv" blank "$TK_HELPER"
'

test_expect_success 'argc 0 as root: exit 127 too' '
	test_status 127 ./execargv empty "$TK_HELPER"
'

test_expect_success 'no verb: a usage error' '
	test_must_fail tk_as mallory "$TK_HELPER" 2>err &&
	test_grep "^tk-helper: " err
'

test_expect_success 'an unknown verb is refused' '
	test_must_fail tk_as mallory "$TK_HELPER" frobnicate 2>err &&
	test_grep "^tk-helper: " err &&
	test_must_fail tk_as mallory "$TK_HELPER" mount / /mnt 2>err &&
	test_must_fail tk_as mallory "$TK_HELPER" "" 2>err
'

test_expect_success 'a member maps her own fresh user namespace (positive control)' '
	tk_as mallory $IDMAP_OWN uidmap "$TK_HELPER" &&
	awk -v u="$mallory_uid" "\$1 == 0 && \$2 == u && \$3 == 1 { f = 1 } END { exit !f }" "$mallory_home/uidmap"
'

test_expect_success 'a non-member cannot execute the helper (mode 4750 root:tk)' '
	test_must_fail tk_as eve $IDMAP_OWN uidmap "$TK_HELPER" 2>err &&
	test_line_count = 0 "$(tk_user_home eve)/uidmap"
'

test_expect_success 'a non-member is refused by the code too (helper made 4755 by mistake)' '
	mkdir -p open && chmod 755 open &&
	cp "$TK_HELPER" open/tk-helper &&
	chown root:tk open/tk-helper && chmod 4755 open/tk-helper &&
	_test_setuid_copies="$_test_setuid_copies $TRASH/open/tk-helper" &&
	test_must_fail tk_as eve $IDMAP_OWN uidmap "$TRASH/open/tk-helper" 2>err &&
	test_line_count = 0 "$(tk_user_home eve)/uidmap" &&
	tk_as mallory $IDMAP_OWN uidmap "$TRASH/open/tk-helper" &&
	test_line_count -ge 1 "$mallory_home/uidmap"
'

# /etc without the files that other test suites on this machine change
# as they add and remove their users and sudoers rules meanwhile.
etc_listing() {
	ls -la /etc | sed 1d | grep -v -E " (passwd|group|shadow|gshadow|subuid|subgid)-?$| sudoers.d$| \.$"
}

test_expect_success CC 'hostile environment is ignored (LD_PRELOAD, TMPDIR=/etc, SUDO_UID=0, ...)' '
	rm -f /tmp/tk-evil-preload-loaded &&
	etc_listing >etc.before &&
	tk_as mallory $IDMAP_OWN "$mallory_home/uidmap" \
		env LD_PRELOAD="$TRASH/evil.so" LD_LIBRARY_PATH="$TRASH" \
		TK_EVIL_MARK="$mallory_home/evil-loaded" \
		GCONV_PATH="$TRASH" CHARSET=EVIL LC_ALL=xx_XX.EVIL NLSPATH="$TRASH/%N" \
		TMPDIR=/etc HOME=/root PATH=. SUDO_UID=0 SUDO_GID=0 \
		"$TK_HELPER" 2>err &&
	test ! -e "$mallory_home/evil-loaded" &&
	test ! -e /tmp/tk-evil-preload-loaded &&
	awk -v u="$mallory_uid" "\$1 == 0 && \$2 == u && \$3 == 1 { f = 1 } END { exit !f }" "$mallory_home/uidmap" &&
	! awk "\$2 == 0 { f = 1 } END { exit !f }" "$mallory_home/uidmap" &&
	etc_listing >etc.after &&
	test_cmp etc.before etc.after
'

test_expect_success CC 'the preload library does work on an ordinary program (control)' '
	tk_as mallory env LD_PRELOAD="$TRASH/evil.so" TK_EVIL_MARK="$mallory_home/evil-loaded" true &&
	test -e "$mallory_home/evil-loaded" &&
	rm -f "$mallory_home/evil-loaded"
'

test_expect_success 'fds 0-2 closed at start: idmap still works' '
	tk_as mallory env CLOSEFDS=1 $IDMAP_OWN uidmap "$TK_HELPER" &&
	awk -v u="$mallory_uid" "\$1 == 0 && \$2 == u { f = 1 } END { exit !f }" "$mallory_home/uidmap"
'

test_expect_success 'fds 0-2 closed at start: a bad verb fails cleanly (no crash)' '
	tk_as mallory sh -c "\"\$TK_HELPER\" frobnicate <&- >&- 2>&-"
	status=$?
	test $status != 0 && test $status -lt 128
'

test_expect_success 'idmap of pid 1 is refused' '
	test_must_fail tk_as mallory "$TK_HELPER" idmap 1 2>err &&
	test_grep "^tk-helper: " err
'

test_expect_success 'idmap of another user process in a fresh namespace is refused' '
	{ unshare -U sleep 30 & rootpid=$! ; } &&
	test_atexit "kill $rootpid" &&
	test_wait_until 10 "test \"\$(readlink /proc/$rootpid/ns/user)\" != \"\$(readlink /proc/self/ns/user)\"" &&
	test_must_fail tk_as mallory "$TK_HELPER" idmap $rootpid 2>err &&
	test_grep "^tk-helper: " err &&
	test_line_count = 0 /proc/$rootpid/uid_map &&
	kill $rootpid
'

test_expect_success 'idmap of her own process without a user namespace of its own is refused' '
	test_must_fail tk_as mallory sh -c "sleep 30 & p=\$!; \"\$TK_HELPER\" idmap \$p; st=\$?; kill \$p; exit \$st" 2>err &&
	test_grep "^tk-helper: " err
'

test_expect_success '"not yours" and "no such process" read alike' '
	{ sleep 30 & other=$! ; } &&
	test_atexit "kill $other" &&
	test_must_fail tk_as mallory "$TK_HELPER" idmap $other 2>err1 &&
	kill $other &&
	free=$(( $(cat /proc/sys/kernel/pid_max) - 1 )) &&
	while test -e /proc/$free; do free=$((free - 1)); done &&
	test_must_fail tk_as mallory "$TK_HELPER" idmap $free 2>err2 &&
	sed "s/[0-9][0-9]*/N/g" err1 >e1 &&
	sed "s/[0-9][0-9]*/N/g" err2 >e2 &&
	test_cmp e1 e2
'

for pid in abc -1 1e3 "" " 1" "+1" "18446744073709551617" "0"; do
	test_expect_success "idmap '$pid' is refused" '
		test_must_fail tk_as mallory "$TK_HELPER" idmap "$pid" 2>err &&
		test_grep "^tk-helper: " err
	'
done

test_expect_success 'idmap with extra arguments is refused' '
	test_must_fail tk_as mallory "$TK_HELPER" idmap 1 2 2>err
'

test_expect_success 'start without its socket on fd 3 is refused' '
	test_status 125 tk_as mallory "$TK_HELPER" start abc 2 2>err &&
	test_grep "^tk-helper: start: fd 3 is not a unix socket" err &&
	test_status 125 tk_as mallory sh -c "exec 3</dev/null; exec \"\$TK_HELPER\" start abc 2" 2>err &&
	test_grep "^tk-helper: start: fd 3 is not a unix socket" err
'

for id in ../x /etc . .. a/b A "x,upperdir=/etc" ""; do
	test_expect_success "start refuses container id '$id'" '
		test_status 2 tk_as mallory "$TK_HELPER" start "$id" 2 2>err &&
		test_grep "^tk-helper: start: " err
	'
done

for pid in abc -1 1 1e3 "" " 2" "+2" "18446744073709551617" "0" "4194305"; do
	test_expect_success "start refuses pid '$pid'" '
		test_status 2 tk_as mallory "$TK_HELPER" start abc "$pid" 2>err &&
		test_grep "^tk-helper: start: " err
	'
done

test_expect_success 'start refuses the run grammar, unknown options and a member'"'"'s --userns host' '
	for a in "--layer $(printf "0%.0s" $(seq 64))" "--mount /:/host" "--rm x" "--tty x" \
		 "--user 0" "--net host" "--hostname x"; do
		test_status 2 tk_as mallory "$TK_HELPER" start $a abc 2 2>err &&
		test_grep "^tk-helper: start: unknown option" err || return 1
	done &&
	test_status 2 tk_as mallory "$TK_HELPER" start abc 2 3 2>err &&
	test_status 125 tk_as mallory "$TK_HELPER" start --userns host abc 2 2>err &&
	test_grep "only for root" err
'

test_expect_success PYTHON3 'start of a process that is not hers, or of none, is refused alike' '
	test_status 125 tk_as mallory "$PYTHON" "$TEST_LIB/sock3.py" "$TK_HELPER" start abc $$ 2>err.root &&
	test_status 125 tk_as mallory "$PYTHON" "$TEST_LIB/sock3.py" "$TK_HELPER" start abc 4194303 2>err.none &&
	test_cmp err.none err.root &&
	test_grep "^tk-helper: permission denied" err.root
'

test_expect_success PYTHON3 'start -: EOF on fd 3 first is a quiet exit; a bad line is refused' '
	test_status 125 tk_as mallory "$PYTHON" "$TEST_LIB/sock3.py" --send "" "$TK_HELPER" start - 2>err &&
	test_line_count = 0 err &&
	for line in "abc\n" "abc 1\n" "../x 1234\n" "abc 1234" "abc 12x\n"; do
		test_status 2 tk_as mallory "$PYTHON" "$TEST_LIB/sock3.py" --send "$line" "$TK_HELPER" start - 2>err &&
		test_grep "^tk-helper: start: " err || return 1
	done
'

test_expect_success 'no mounts left on the host' '
	check_no_leaks before
'

test_done
