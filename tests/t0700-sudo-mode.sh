#!/bin/sh
test_description='sudo mode: the helper not setuid, run by members through sudoers.d/tk'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq ROOT || test_skip_all "needs root (installs a sudoers file, creates test users)"
test_have_prereq BUSYBOX || test_skip_all "needs a static /bin/busybox (busybox-static)"
test_have_prereq USERNS || test_skip_all "unprivileged user namespaces are disabled"
command -v sudo >/dev/null && command -v visudo >/dev/null ||
	test_skip_all "needs sudo"

sudoers=/etc/sudoers.d/tk-test-$$

test_expect_success 'setup: a root-owned, non-setuid helper and its sudoers rule' '
	tk_setup_helper &&
	dir=$(dirname "$TK_HELPER") &&
	chown root:root "$TK_HELPER" && chmod 0755 "$TK_HELPER" &&
	test ! -u "$TK_HELPER" &&
	sed "s|@LIBEXECDIR@|$dir|g" "$REPO/sudoers.d/tk.in" >sudoers.tmp &&
	visudo -cf sudoers.tmp &&
	install -m 0440 sudoers.tmp "$sudoers" &&
	test_atexit "rm -f $sudoers" &&
	tk_add_user sue &&
	tk_add_user nemo --no-tk &&
	sue_uid=$(tk_user_uid sue) &&
	tk_build_busybox_tar "$TRASH/bb.tar.gz" &&
	chmod 644 "$TRASH/bb.tar.gz"
'

test_expect_success 'a member pulls and runs through sudo: her own mapping, her status' '
	tk_as sue tk-pull -q --name bb "tar:$TRASH/bb.tar.gz" >id &&
	test_status 4 tk_as sue tk-run --rm bb /bin/sh -c "cat /proc/self/uid_map; exit 4" >out &&
	awk -v u="$sue_uid" "\$1 == 0 && \$2 == u && \$3 == 1 { f = 1 } END { exit !f }" out &&
	! awk "\$2 == 0 { f = 1 } END { exit !f }" out
'

test_expect_success 'the container store fd reaches the helper through sudo -C' '
	tk_as sue tk-run --name kept bb /bin/true &&
	tk_as sue tk-ls -a -q >ids &&
	test_line_count = 1 ids &&
	tk_as sue tk-rm kept
'

test_expect_success 'tk-run -d through sudo: the notify socket passes sudo -C' '
	tk_as sue tk-run -d --name bg bb /bin/sh -c "echo via-sudo; sleep 1000" >id &&
	is_hex64 "$(cat id)" &&
	tk_as sue tk-stop -t 0 bg &&
	tk_as sue tk-logs bg >out &&
	test_grep -x via-sudo out &&
	test_status 127 tk_as sue tk-run -d bb no-such-command 2>err &&
	test_grep no-such-command err &&
	tk_as sue sh -c "tk-ls -aq | tk-rm -" >/dev/null
'

test_expect_success 'sudo refusing the helper: tk-run --rm says so, exits 125, leaves no container' '
	mv "$sudoers" "$TRASH/sudoers.off" &&
	{ test_status 125 tk_as sue tk-run --rm bb /bin/true 2>err; st=$?; } ;
	mv "$TRASH/sudoers.off" "$sudoers" &&
	test $st = 0 &&
	test_grep "did not start: sudo" err &&
	tk_as sue tk-ls -aq >ids &&
	test_line_count = 0 ids &&
	test_status 3 tk_as sue tk-run --rm bb /bin/sh -c "exit 3" &&
	tk_as sue tk-ls -aq >ids &&
	test_line_count = 0 ids
'

# tk-run --rm in sudo mode waits for sudo: a signal sent to it must still
# reach the payload.
cat >"$TRASH/sigrun.sh" <<\EOF
echo $$ >"$HOME/tkrun.pid"
exec tk-run --rm bb /bin/sh -c 'trap "exit 7" TERM; echo up; while :; do sleep 1; done'
EOF
chmod 644 "$TRASH/sigrun.sh"

test_expect_success 'a signal to tk-run --rm reaches the payload through sudo' '
	home=$(getent passwd "$(tk_user sue)" | cut -d: -f6) &&
	rm -f "$home/tkrun.pid" &&
	{ tk_as sue sh "$TRASH/sigrun.sh" >out & } &&
	bg=$! &&
	for i in $(seq 200); do test -s out && break; sleep 0.1; done &&
	test_grep -x up out &&
	kill -TERM "$(cat "$home/tkrun.pid")" &&
	{ wait $bg; st=$?; } &&
	test $st = 7 &&
	tk_as sue tk-ls -aq >ids &&
	test_line_count = 0 ids
'

test_expect_success 'a non-member cannot use the sudo rule' '
	test_must_fail tk_as nemo tk-pull -q --name bb "tar:$TRASH/bb.tar.gz" >out 2>err &&
	test_grep "tk-helper could not map" err &&
	test_must_fail tk_as nemo sudo -n -C 4 "$TK_HELPER" idmap 1 2>err &&
	test_grep -i "password\|not allowed\|sorry" err
'

test_done
