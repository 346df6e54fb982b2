#!/bin/sh
test_description='tk-run as unprivileged members of group tk (setuid helper)'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq ROOT || test_skip_all "needs root (creates test users, installs a setuid helper)"
test_have_prereq BUSYBOX || test_skip_all "needs a static /bin/busybox (busybox-static)"
test_have_prereq USERNS || test_skip_all "unprivileged user namespaces are disabled"

payload_pid() {
	for _p in $(pgrep -f -- "$1"); do
		_ns=$(sed -n 's/^NSpid:[[:space:]]*//p' "/proc/$_p/status" 2>/dev/null)
		case $_ns in *[[:space:]]1) echo "$_p"; return 0 ;; esac
	done
	return 1
}

# as_alice CMD...: as the member with a subordinate id range.
as_alice() { tk_as alice "$@"; }

test_expect_success 'setup: helper, users alice (tk, subids), bob (not in tk), carol (tk, no subids)' '
	tk_setup_helper &&
	tk_add_user alice &&
	tk_add_user bob --no-tk &&
	tk_add_user carol --no-subid &&
	tk_add_user dave &&
	alice_uid=$(tk_user_uid alice) &&
	alice_home=$(tk_user_home alice) &&
	alice_sub=$(sed -n "s/^$(tk_user alice)://p" /etc/subuid | cut -d: -f1) &&
	test -n "$alice_sub" &&
	carol_uid=$(tk_user_uid carol) &&
	tk_build_busybox_tar "$TRASH/bb.tar.gz" &&
	chmod 644 "$TRASH/bb.tar.gz" &&
	mounts_snapshot before
'

test_expect_success 'a member pulls into her own store' '
	as_alice tk-pull -q --name bb "tar:$TRASH/bb.tar.gz" >out 2>err &&
	is_hex64 "$(cat out)" &&
	test "$(stat -c %u "$alice_home/tk")" = "$alice_uid" &&
	test "$(stat -c %a "$alice_home/tk")" = 700
'

test_expect_success 'a member runs a container: stdout and the exit status' '
	test_status 3 as_alice tk-run --rm bb /bin/sh -c "echo hi; exit 3" >out &&
	echo hi >expect &&
	test_cmp expect out
'

test_expect_success 'member: 126 and 127' '
	test_status 126 as_alice tk-run --rm bb /etc/passwd 2>err &&
	test_status 127 as_alice tk-run --rm bb /no/such 2>err
'

test_expect_success 'member: the payload is pid 1, with its own hostname' '
	as_alice tk-run --rm --hostname box bb /bin/sh -c "echo \$\$; hostname" >out &&
	printf "1\nbox\n" >expect &&
	test_cmp expect out
'

test_expect_success 'member: /etc/hostname and /etc/hosts name the container; the image keeps its own' '
	as_alice tk-run --rm --hostname box bb /bin/sh -c \
		"cat /etc/hostname; grep -c box /etc/hosts; echo x >>/etc/hosts" >out &&
	printf "box\n1\n" >expect &&
	test_cmp expect out &&
	as_alice tk-run --rm bb /bin/sh -c "grep -c localhost /etc/hosts" >out &&
	echo 2 >expect &&
	test_cmp expect out
'

test_expect_success 'member: --net host: the host'"'"'s hosts and resolv.conf, read-only' '
	as_alice tk-run --rm --net host bb cat /etc/hosts >out &&
	test_cmp /etc/hosts out &&
	cp /etc/hosts hosts.before &&
	test_must_fail as_alice tk-run --rm --net host bb sh -c "echo x >>/etc/hosts" 2>err &&
	test_cmp hosts.before /etc/hosts &&
	if test -r /etc/resolv.conf; then
		as_alice tk-run --rm --net host bb cat /etc/resolv.conf >out &&
		test_cmp /etc/resolv.conf out
	fi
'

test_expect_success 'member: nothing for /etc on disk: the container dir has only its own parts' '
	as_alice tk-run --name etcprobe bb true &&
	ls -A "$alice_home"/tk/containers/*/ >out &&
	! grep -e hosts -e hostname -e resolv out &&
	as_alice tk-rm etcprobe
'

test_expect_success 'member: uid_map maps root to the caller, then the subordinate range' '
	as_alice tk-run --rm bb /bin/cat /proc/self/uid_map >out &&
	awk -v u="$alice_uid" "\$1 == 0 && \$2 == u && \$3 == 1 { f = 1 } END { exit !f }" out &&
	awk -v s="$alice_sub" "\$2 == s { f = 1 } END { exit !f }" out &&
	! awk "\$2 == 0 { f = 1 } END { exit !f }" out
'

test_expect_success 'member: files owned by root in the image are root inside, app is 1000' '
	as_alice tk-run --rm bb /bin/sh -c "stat -c %u:%g /bin/busybox /etc/passwd /home/app" >out &&
	printf "0:0\n0:0\n1000:1000\n" >expect &&
	test_cmp expect out
'

test_expect_success 'member: root in the container is the caller on the host' '
	as_alice tk-run --name w bb /bin/sh -c "echo x >/etc/f" &&
	id=$(as_alice tk-ls -a -q) &&
	is_hex64 "$id" &&
	test "$(stat -c %u "$alice_home/tk/containers/$id/upper/etc/f")" = "$alice_uid" &&
	as_alice tk-rm w &&
	test ! -e "$alice_home/tk/containers/$id"
'

test_expect_success 'member: ps shows only the container' '
	m=$(marker hostproc) &&
	{ sh -c "sleep 300; true" "$m" & hostpid=$! ; } &&
	test_atexit "kill $hostpid" &&
	as_alice tk-run --rm bb /bin/ps -o pid,args >out &&
	kill $hostpid &&
	test_grep -v -- "$m" out &&
	test_line_count -le 3 out
'

test_expect_success 'member: no_new_privs, and no capabilities outside the podman set' '
	as_alice tk-run --rm bb /bin/cat /proc/self/status >status &&
	test "$(sed -n "s/^NoNewPrivs:[[:space:]]*//p" status)" = 1 &&
	bnd=$(sed -n "s/^CapBnd:[[:space:]]*//p" status) &&
	test -n "$bnd" &&
	test $(( 0x$bnd & ~0x800405fb )) = 0
'

test_expect_success 'member: SIGKILL of the payload from the host gives 137' '
	m=$(marker ukill) &&
	{ as_alice tk-run --rm bb /bin/sh -c "sleep 1000 & wait" "$m" >/dev/null 2>&1 &
	  bgpid=$! ; } &&
	test_atexit "kill_marker $m" &&
	test_wait_until 20 "payload_pid $m" &&
	kill -9 "$(payload_pid "$m")" &&
	{ wait $bgpid; status=$?; } &&
	test "$status" = 137 &&
	test_wait_until 10 "! pgrep -f -- $m"
'

test_expect_success 'member: --userns host is refused (125, with a message)' '
	test_status 125 as_alice tk-run --rm --userns host bb /bin/true 2>err &&
	test_grep "^tk-run: " err
'

test_expect_success 'member: --rm removes the whole container, its files owned by subordinate ids too' '
	ls -A "$alice_home/tk/containers" >ct.before &&
	as_alice tk-run --rm bb /bin/sh -c \
		"mkdir -p /d/e && touch /d/e/f /g && chown -R 1000:1000 /d /g && chmod 700 /d" &&
	ls -A "$alice_home/tk/containers" >ct.after &&
	test_cmp ct.before ct.after &&
	test -z "$(tmp_left "$alice_home/tk")"
'

test_expect_success 'member: the next run takes the emptied directory, and nothing of the last container' '
	S=$alice_home/tk &&
	as_alice tk-run --rm bb /bin/sh -c "mkdir /d && touch /d/f /m && chown -R 1000 /d /m && chmod 700 /d" &&
	test "$(ls -A "$S/tmp")" = spare-0 &&
	test "$(ls -A "$S/tmp/spare-0" | tr "\n" " ")" = "upper work " &&
	test -z "$(find "$S/tmp/spare-0" -mindepth 2)" &&
	ino=$(stat -c %i "$S/tmp/spare-0") &&
	as_alice tk-run --rm bb /bin/sh -c "ls -A /; stat -c \"%a %u %g\" /" >out &&
	! grep -x -e d -e m out &&
	test "$(tail -n 1 out)" = "755 0 0" &&
	test "$(stat -c %i "$S/tmp/spare-0")" = "$ino" &&
	test "$(stat -c "%a %u" "$S/tmp/spare-0/upper")" = "755 $alice_uid" &&
	ls -A "$S/containers" >ct.after &&
	test_cmp ct.before ct.after
'

test_expect_success 'member: a container that changed its / is removed, not kept' '
	S=$alice_home/tk &&
	as_alice tk-run --rm bb /bin/sh -c "chmod 700 /" &&
	test -z "$(ls -A "$S/tmp")" &&
	as_alice tk-run --rm bb /bin/sh -c "chown 1000 /" &&
	test -z "$(ls -A "$S/tmp")" &&
	as_alice tk-run --rm bb /bin/stat -c "%a %u" / >out &&
	echo "755 0" >expect &&
	test_cmp expect out &&
	ls -A "$S/containers" >ct.after &&
	test_cmp ct.before ct.after
'

test_expect_success 'member: concurrent --rm runs keep at most 4 directories, all empty' '
	S=$alice_home/tk &&
	for i in 1 2 3 4 5 6; do
		as_alice tk-run --rm bb /bin/sh -c "touch /f$i; sleep 1" &
	done &&
	wait &&
	test "$(ls -A "$S/tmp" | wc -l)" -le 4 &&
	test "$(ls -A "$S/tmp" | wc -l)" -ge 1 &&
	test -z "$(tmp_left "$S")" &&
	ls -A "$S/containers" >ct.after &&
	test_cmp ct.before ct.after
'

test_expect_success 'member: a --rm container left in tmp/ by a killed remover is removed by the next tk-pull' '
	as_alice tk-run --name left bb /bin/sh -c "mkdir /d && touch /d/f && chown -R 1000 /d && chmod 700 /d" &&
	id=$(ls -A "$alice_home/tk/containers" | comm -13 ct.before -) &&
	is_hex64 "$id" &&
	dead=$(sh -c "echo \$\$") && : the pid of a remover that died &&
	as_alice mv "$alice_home/tk/containers/$id" "$alice_home/tk/tmp/rm-$dead-$id" &&
	as_alice tk-pull -q "tar:$TRASH/bb.tar.gz" >/dev/null &&
	test -z "$(tmp_left "$alice_home/tk")"
'

test_expect_success 'member: no containers, mounts or tmp files left behind' '
	saved=$TK_ROOT &&
	TK_ROOT=$alice_home/tk &&
	check_no_leaks before
	st=$?
	TK_ROOT=$saved
	test $st = 0 &&
	test "$(as_alice tk-ls -a -q | wc -l)" = 0
'

test_expect_success 'another member cannot use her store' '
	test_must_fail tk_as dave tk-ls --root "$alice_home/tk" -a 2>err &&
	test_must_fail tk_as dave tk-run --root "$alice_home/tk" --rm bb /bin/true 2>err
'

test_expect_success 'a user not in group tk is refused with a clear message' '
	test_must_fail tk_as bob sh -c "tk-pull -q --name bb tar:$TRASH/bb.tar.gz && tk-run --rm bb /bin/true" >out 2>err &&
	test_grep -i -E "permission|denied|not allowed|not permitted|group .?tk" err
'

test_expect_success 'a user not in group tk cannot run the helper itself' '
	test_must_fail tk_as bob "$TK_HELPER" idmap 1 2>err
'

test_expect_success 'a member without subordinate ids is warned (by tk-pull or tk-run), one id mapped' '
	tk_as carol tk-pull -q --name bb "tar:$TRASH/bb.tar.gz" >out 2>pullerr &&
	tk_as carol tk-run --rm bb /bin/cat /proc/self/uid_map >out 2>err &&
	cat pullerr err >warnings &&
	test_grep -E "^tk-(pull|run): .*(subuid|subordinate)" warnings &&
	test_line_count = 1 out &&
	awk -v u="$carol_uid" "\$1 == 0 && \$2 == u && \$3 == 1 { f = 1 } END { exit !f }" out
'

test_done
