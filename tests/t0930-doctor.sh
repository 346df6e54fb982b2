#!/bin/sh
test_description='tk-doctor: what blocks a user, in plain words, with the fix'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib/attack.sh"

test_have_prereq ROOT || test_skip_all "needs root (creates test users, installs the helper)"
test_have_prereq USERNS || test_skip_all "unprivileged user namespaces are disabled"

test_expect_success 'setup: helper, member alice, member carol without subids, non-member eve' '
	attack_setup &&
	tk_add_user alice &&
	tk_add_user carol --no-subid &&
	tk_add_user eve --no-tk
'

test_expect_success 'a member with subordinate ids: ready, exit 0' '
	tk_as alice tk-doctor >out 2>err &&
	test_line_count = 0 err &&
	test_grep "^ok  *you are in group .tk." out &&
	test_grep "^ok  */etc/subuid has a range for you" out &&
	test_grep "^ok  *user namespaces work, and overlayfs mounts in them" out &&
	test_grep "is setuid root, mode 4750" out &&
	test_grep "^tk is ready for you$" out &&
	test_grep -v "^problem" out
'

test_expect_success 'tk doctor is tk-doctor, -q prints nothing when all is well' '
	tk_as alice tk doctor -q >out &&
	test_line_count = 0 out
'

test_expect_success 'a member without subordinate ids: warned with the usermod fix, still exit 0' '
	tk_as carol tk-doctor >out &&
	test_grep "^warning  */etc/subuid has no range for you" out &&
	test_grep "fix: an admin runs .usermod --add-subuids 100000-165535 $(tk_user carol)." out &&
	test_grep "see the warnings" out
'

test_expect_success 'a non-member: the group problem and its fix, exit 1' '
	test_status 1 tk_as eve tk-doctor >out &&
	test_grep "^problem  *you are not in group .tk." out &&
	test_grep "fix: an admin runs .usermod -aG tk $(tk_user eve)., then you log in again" out &&
	test_grep "problems: tk cannot run containers for you" out
'

test_expect_success 'no helper where it should be: a problem naming the path' '
	test_status 1 tk_as alice env TK_HELPER=/nonexistent/tk-helper tk-doctor >out &&
	test_grep "^problem  *tk-helper is not at /nonexistent/tk-helper" out
'

test_expect_success 'a helper that is not setuid and no sudo rule: a problem' '
	mkdir -p plain && chmod 755 plain &&
	cp "$REPO/helper/tk-helper" plain/tk-helper && chmod 755 plain/tk-helper &&
	if test -e /etc/sudoers.d/tk; then
		tk_as alice env TK_HELPER="$TRASH/plain/tk-helper" tk-doctor >out &&
		test_grep "sudo mode" out
	else
		test_status 1 tk_as alice env TK_HELPER="$TRASH/plain/tk-helper" tk-doctor >out &&
		test_grep "neither setuid nor set up for sudo" out
	fi
'

test_expect_success 'a setuid helper executable by everyone: a warning with chmod 4750' '
	mkdir -p open && chmod 755 open &&
	cp "$TK_HELPER" open/tk-helper &&
	chown root:tk open/tk-helper && chmod 4755 open/tk-helper &&
	_test_setuid_copies="$_test_setuid_copies $TRASH/open/tk-helper" &&
	tk_as alice env TK_HELPER="$TRASH/open/tk-helper" tk-doctor >out &&
	test_grep "^warning .*executable by everyone" out &&
	test_grep "chmod 4750" out &&
	rm -f open/tk-helper
'

test_expect_success 'under no_new_privs: a problem that says so' '
	test_status 1 tk_as alice setpriv --no-new-privs tk-doctor >out &&
	test_grep "^problem  *this session has no_new_privs set" out
'

test_expect_success 'a helper on a nosuid mount: a problem' '
	d=$(dirname "$TK_HELPER") &&
	u=$(tk_user alice) &&
	unshare -m --propagation private sh -c "
		mount --bind \"$d\" \"$d\" && mount -o remount,bind,nosuid \"$d\" &&
		runuser -u $u -- env PATH=\"${TK_TEST_BIN:-$REPO/bin}:$PATH\" TK_HELPER=\"$TK_HELPER\" tk-doctor" >out
	test $? = 1 &&
	test_grep "^problem .*nosuid mount" out
'

test_expect_success 'a member missing from /etc/passwd: a warning, subuid by uid, no crash' '
	u=54321 && while getent passwd $u >/dev/null; do u=$((u + 1)); done &&
	setpriv --reuid=$u --regid=$u --groups="$(getent group tk | cut -d: -f3)" \
		env PATH="${TK_TEST_BIN:-$REPO/bin}:$PATH" TK_HELPER="$TK_HELPER" tk-doctor >out;
	test $? = 0 &&
	test_grep "^warning  *you (uid $u) are not in /etc/passwd" out &&
	test_grep "^ok  *you are in group" out
'

test_expect_success 'usage errors' '
	test_status 2 tk-doctor --bogus 2>err &&
	test_grep "^tk-doctor: " err &&
	test_status 2 tk-doctor extra 2>err &&
	tk-doctor --help >out && test_grep "^Usage: tk-doctor" out
'

test_done
