#!/bin/sh
test_description='tk-helper check VERB ...: the policy, run unprivileged, allowed or refused'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib/attack.sh"

test_have_prereq ROOT || test_skip_all "needs root (creates test users, installs the helper)"
test_have_prereq USERNS || test_skip_all "unprivileged user namespaces are disabled"
test_have_prereq BUSYBOX,JQ || test_skip_all "needs busybox-static and jq"

IDMAP_OWN="sh $TEST_LIB/idmap-own.sh"

test_expect_success 'setup: helpers, member mallory, non-member eve, a container' '
	attack_setup &&
	tk_add_user mallory &&
	tk_add_user eve --no-tk &&
	mallory_uid=$(tk_user_uid mallory) &&
	mallory_gid=$(id -g "$(tk_user mallory)") &&
	mallory_home=$(tk_user_home mallory) &&
	mallory_sub=$(sed -n "s/^$(tk_user mallory)://p" /etc/subuid | cut -d: -f1) &&
	tk_build_busybox_tar "$TRASH/bb.tar.gz" && chmod 644 "$TRASH/bb.tar.gz" &&
	tk_as mallory tk-pull -q --name bb "tar:$TRASH/bb.tar.gz" >/dev/null &&
	tk_as mallory tk-run --name c bb /bin/true &&
	cid=$(ct_id mallory c)
'

test_expect_success 'check idmap of her own namespace: allowed, the maps shown, nothing written' '
	oracle_before mallory &&
	tk_as mallory $IDMAP_OWN uidmap "$TK_HELPER" check >out 2>err &&
	test_grep "^tk-helper: check: allowed: idmap [0-9]* (caller uid $mallory_uid gid $mallory_gid)" out &&
	test_grep "^  uid map: 0 $mallory_uid 1, 1 $mallory_sub 65536$" out &&
	test_line_count = 0 "$mallory_home/uidmap" &&
	oracle_after
'

test_expect_success 'a member missing from /etc/passwd: local files only, no NSS module, no crash' '
	# The helper is static: a static glibc that loads libnss_systemd
	# (named in nsswitch.conf on Debian) for an unknown uid dies of SIGSEGV.
	u=54321 && while getent passwd $u >/dev/null; do u=$((u + 1)); done &&
	test_status 2 setpriv --reuid=$u --regid=$u --groups="$(getent group tk | cut -d: -f3)" \
		"$TK_HELPER" check idmap 1 2>err &&
	test_grep "^tk-helper: check: refused: usage: tk-helper idmap PID" err
'

test_expect_success 'check idmap of a root process: refused, with the reason, status 125' '
	test_status 125 tk_as mallory "$TK_HELPER" check idmap $$ >out 2>err &&
	test_line_count = 0 out &&
	clear_error err &&
	test_grep "^tk-helper: check: refused: idmap: process $$ is gone" err
'

test_expect_success USERNS 'check start of her waiting process: allowed, no map, no record' '
	oracle_before mallory &&
	{ ls -A /run/tk/$mallory_uid 2>/dev/null >records.before || :; } &&
	{ tk_as mallory unshare -U sleep 30 & } &&
	test_wait_until 20 "test -n \"\$(our_named mallory sleep)\"" &&
	p=$(our_named mallory sleep) &&
	tk_as mallory "$PYTHON" "$TEST_LIB/sock3.py" "$TK_HELPER" check start "$cid" "$p" >out 2>err &&
	test_grep "^tk-helper: check: allowed: start container $cid, process $p" out &&
	test_line_count = 0 "/proc/$p/uid_map" &&
	{ ls -A /run/tk/$mallory_uid 2>/dev/null >records.after || :; } &&
	test_cmp records.before records.after &&
	kill "$p" && wait &&
	oracle_after
'

test_expect_success 'check start: a bad id is a usage error (2), a process without a namespace refused' '
	test_status 2 tk_as mallory "$TK_HELPER" check start ../x 2 2>err &&
	test_grep "^tk-helper: check: refused: start: bad container id" err &&
	{ tk_as mallory sleep 30 & } &&
	test_wait_until 20 "test -n \"\$(our_named mallory sleep)\"" &&
	p=$(our_named mallory sleep) &&
	test_status 125 tk_as mallory "$PYTHON" "$TEST_LIB/sock3.py" "$TK_HELPER" check start "$cid" "$p" 2>err &&
	test_grep "^tk-helper: check: refused: start: process $p has no user namespace of its own" err &&
	test_status 125 tk_as mallory "$TK_HELPER" check start "$cid" "$p" 2>err &&
	test_grep "^tk-helper: check: refused: start: fd 3 is not a unix socket" err &&
	kill "$p" && wait
'

test_expect_success 'check join of a container that is not running: refused' '
	test_must_fail tk_as mallory "$TK_HELPER" check join "$cid" $$ >out 2>err &&
	test_line_count = 0 out &&
	test_grep "^tk-helper: check: refused: " err
'

test_expect_success 'check for a non-member (helper made 4755 by mistake): refused, not a member' '
	mkdir -p open && chmod 755 open &&
	cp "$TK_HELPER" open/tk-helper &&
	chown root:tk open/tk-helper && chmod 4755 open/tk-helper &&
	_test_setuid_copies="$_test_setuid_copies $TRASH/open/tk-helper" &&
	test_status 125 tk_as eve "$TRASH/open/tk-helper" check idmap 1 2>err &&
	test_grep "^tk-helper: check: refused: not a member of group .tk." err &&
	rm -f open/tk-helper
'

test_expect_success 'check needs no root: a plain copy of the helper gives the same answer' '
	mkdir -p plain && chmod 755 plain &&
	cp "$REPO/helper/tk-helper" plain/tk-helper && chmod 755 plain/tk-helper &&
	tk_as mallory $IDMAP_OWN uidmap "$TRASH/plain/tk-helper" check >out 2>err &&
	test_grep "^  uid map: 0 $mallory_uid 1, 1 $mallory_sub 65536$" out &&
	test_must_fail tk_as mallory "$TRASH/plain/tk-helper" idmap 1 2>err &&
	test_grep "not running as root" err
'

test_expect_success 'check as root for a sudo caller: that caller policy' '
	SUDO_UID=$mallory_uid SUDO_GID=$mallory_gid $IDMAP_OWN uidmap.root "$SUDO_HELPER" check >out 2>err
	# The namespace is root: not hers, which reads as no such process.
	test_grep "^tk-helper: check: refused: idmap: process [0-9]* is gone" err &&
	test_status 125 env SUDO_UID=0 SUDO_GID=0 "$SUDO_HELPER" check idmap 2 2>err &&
	test_grep "^tk-helper: check: refused: sudo mode: bad SUDO_UID" err
'

test_expect_success 'check without a verb, or with an unknown one: usage' '
	test_status 2 tk_as mallory "$TK_HELPER" check 2>err &&
	test_status 2 tk_as mallory "$TK_HELPER" check frobnicate 2>err &&
	test_grep "usage" err
'

test_done
