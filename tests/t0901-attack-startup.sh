#!/bin/sh
test_description='attack table rows 1-9: start-up hygiene and who is asking, setuid and sudo mode'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib/attack.sh"

test_have_prereq ROOT || test_skip_all "needs root (creates test users, installs the helper)"
test_have_prereq USERNS || test_skip_all "unprivileged user namespaces are disabled"
test_have_prereq CC || test_skip_all "needs a C compiler for the test programs"

IDMAP_OWN="sh $TEST_LIB/idmap-own.sh"

test_expect_success 'setup: setuid and sudo helpers, member mallory, non-member eve' '
	attack_setup &&
	tk_add_user mallory &&
	tk_add_user eve --no-tk &&
	mallory_uid=$(tk_user_uid mallory) &&
	mallory_gid=$(id -g "$(tk_user mallory)") &&
	eve_uid=$(tk_user_uid eve) &&
	mallory_home=$(tk_user_home mallory) &&
	cc -o execargv "$TEST_LIB/execargv.c" &&
	cc -shared -fPIC -o evil.so "$TEST_LIB/evil-preload.c" &&
	chmod 755 execargv evil.so
'

# maps_only_caller FILE: a uid_map that maps the caller and never host 0.
maps_only_caller() {
	awk -v u="$mallory_uid" "\$1 == 0 && \$2 == u && \$3 == 1 { f = 1 } END { exit !f }" "$1" &&
	! awk "\$2 == 0 { f = 1 } END { exit !f }" "$1"
}

# helper_cmd: the helper as the tools call it in this mode.
helper_cmd() {
	if test "$ATTACK_MODE" = sudo; then
		echo "$(command -v sudo) -n -C 4 $TK_HELPER"
	else
		echo "$TK_HELPER"
	fi
}

for mode in $(attack_modes); do

test_expect_success "[$mode] control: a member maps her own user namespace" '
	attack_mode '$mode' &&
	tk_as mallory $IDMAP_OWN uidmap $(helper_cmd) &&
	maps_only_caller "$mallory_home/uidmap"
'

test_expect_success "[$mode] row 1: argc 0 and argv {\"\"} exit 127 before anything privileged" '
	attack_mode '$mode' &&
	oracle_before mallory &&
	if test '$mode' = setuid; then
		test_status 127 tk_as mallory "$TRASH/execargv" empty "$TK_HELPER" 2>err &&
		test_status 127 tk_as mallory "$TRASH/execargv" blank "$TK_HELPER" 2>>err
	else
		# sudo always passes argv[0]; as sudo would run it:
		test_status 127 env SUDO_UID=$mallory_uid SUDO_GID=$mallory_gid \
			"$TRASH/execargv" empty "$TK_HELPER" 2>err &&
		test_status 127 env SUDO_UID=$mallory_uid SUDO_GID=$mallory_gid \
			"$TRASH/execargv" blank "$TK_HELPER" 2>>err
	fi &&
	test_line_count = 0 err &&
	oracle_after
'

test_expect_success "[$mode] row 2: a hostile environment is ignored, identity unchanged" '
	attack_mode '$mode' &&
	oracle_before mallory &&
	rm -f "$mallory_home/evil-loaded" &&
	tk_as mallory $IDMAP_OWN "$mallory_home/uidmap" \
		env LD_PRELOAD="$TRASH/evil.so" LD_LIBRARY_PATH="$TRASH" \
		TK_EVIL_MARK="$mallory_home/evil-loaded" \
		GCONV_PATH="$TRASH" CHARSET=EVIL LC_ALL=xx_XX.EVIL NLSPATH="$TRASH/%N" \
		TMPDIR=/etc HOME=/root PATH=. SUDO_UID=0 SUDO_GID=0 \
		$(helper_cmd) 2>err &&
	test ! -e "$mallory_home/evil-loaded" &&
	maps_only_caller "$mallory_home/uidmap" &&
	oracle_after
'

test_expect_success "[$mode] row 2: sudo refuses variables set on its command line" '
	attack_mode '$mode' &&
	if test '$mode' = sudo; then
		test_must_fail tk_as mallory sudo -n LD_PRELOAD="$TRASH/evil.so" \
			SUDO_UID=0 "$TK_HELPER" idmap 1 2>err &&
		test ! -e "$mallory_home/evil-loaded"
	fi
'

test_expect_success PYTHON3 "[$mode] row 3: 100k arguments, argv near ARG_MAX: clean usage error" '
	attack_mode '$mode' &&
	oracle_before mallory &&
	cat >bigargv.py <<-\PY &&
	import os, sys
	mode, helper, how = sys.argv[1], sys.argv[2], sys.argv[3]
	pre = ["sudo", "-n", "-C", "4", helper] if mode == "sudo" else [helper]
	if how == "many":
	    args = ["idmap"] + ["1"] * 100000
	elif how == "near":
	    # 15 arguments of 128 KiB - 1: under ARG_MAX, over the helper bound.
	    args = ["idmap"] + ["9" * 131071] * 15
	else:
	    args = ["idmap", "9" * (1 << 20)]
	try:
	    os.execvp(pre[0], pre + args)
	except OSError as e:
	    print("execve: %s" % e.strerror, file=sys.stderr)
	    sys.exit(99)
	PY
	chmod 644 bigargv.py &&
	test_status 2 tk_as mallory "$PYTHON" "$TRASH/bigargv.py" '$mode' "$TK_HELPER" many 2>err &&
	clear_error err && test_grep "too many arguments" err &&
	test_status 2 tk_as mallory "$PYTHON" "$TRASH/bigargv.py" '$mode' "$TK_HELPER" near 2>err &&
	clear_error err && test_grep "too long" err &&
	# One 1 MiB argument: the kernel refuses the exec itself (E2BIG).
	test_status 99 tk_as mallory "$PYTHON" "$TRASH/bigargv.py" '$mode' "$TK_HELPER" one 2>err &&
	test_grep "too long" err &&
	oracle_after
'

test_expect_success "[$mode] row 4: fds 0-2 closed: reopened on /dev/null, idmap works" '
	attack_mode '$mode' &&
	oracle_before mallory &&
	tk_as mallory env CLOSEFDS=1 $IDMAP_OWN uidmap $(helper_cmd) &&
	maps_only_caller "$mallory_home/uidmap" &&
	oracle_after
'

test_expect_success "[$mode] row 4: fds 0-2 closed: a bad request fails, nothing lands on them" '
	attack_mode '$mode' &&
	oracle_before mallory &&
	tk_as mallory sh -c "exec $(helper_cmd) idmap 1 <&- >&- 2>&-"
	st=$? &&
	test $st != 0 && test $st -lt 128 &&
	oracle_after
'

test_expect_success "[$mode] row 8: a non-member is refused by the code check" '
	attack_mode '$mode' &&
	oracle_before eve mallory &&
	if test '$mode' = setuid; then
		mkdir -p open && chmod 755 open &&
		cp "$TK_HELPER" open/tk-helper &&
		chown root:tk open/tk-helper && chmod 4755 open/tk-helper &&
		_test_setuid_copies="$_test_setuid_copies $TRASH/open/tk-helper" &&
		test_must_fail tk_as eve $IDMAP_OWN uidmap "$TRASH/open/tk-helper" 2>err &&
		rm -f open/tk-helper
	else
		# sudo lets only %tk run it; had an admin widened the rule, the
		# helper still checks the group of SUDO_UID:
		{ unshare -U sleep 30 & p=$!; } &&
		test_wait_until 10 "test \"\$(readlink /proc/$p/ns/user)\" != \"\$(readlink /proc/self/ns/user)\"" &&
		test_must_fail env SUDO_UID=$eve_uid SUDO_GID=$eve_uid "$TK_HELPER" idmap $p 2>err &&
		clear_error err && test_grep "permission denied" err &&
		test_line_count = 0 /proc/$p/uid_map &&
		kill $p
	fi &&
	test_line_count = 0 "$(tk_user_home eve)/uidmap" &&
	oracle_after
'

done

# Row 5: the helper sets its own umask; what it writes keeps its modes.
test_expect_success BUSYBOX 'setup: an image in the store of mallory' '
	tk_build_busybox_tar "$TRASH/bb.tar.gz" && chmod 644 "$TRASH/bb.tar.gz" &&
	tk_as mallory tk-pull -q --name bb "tar:$TRASH/bb.tar.gz" >id
'

for mode in $(attack_modes); do
for um in 0000 0777; do
test_expect_success BUSYBOX,JQ "[$mode] row 5: umask $um: the helper writes nothing world-writable" '
	attack_mode '$mode' &&
	oracle_before mallory &&
	tk_as mallory tk-run --name um bb /bin/sh -c "test -e /ran || { touch /ran; exit 0; }; exec sleep 1000" || return 1
	tk_as mallory sh -c "umask '$um'; exec tk-start -a um" &
	# The payload: pid 1 of the container, from its record (not a
	# process of the name: a uid of a removed test user may be reused).
	rec=/run/tk/$mallory_uid/$(ct_id mallory um) &&
	test_wait_until 20 "test \"\$(ps -o comm= -p \$(cut -d\" \" -f1 $rec 2>/dev/null || echo 0))\" = sleep" &&
	payload=$(cut -d" " -f1 $rec) &&
	# The tools may refuse a umask that leaves them no access; if so,
	# they say so in one line.
	{ tk_as mallory sh -c "umask '$um'; tk-run --rm bb /bin/true" 2>err || clear_error err; } &&
	find /run/tk/$mallory_uid "$mallory_home/tk" \( -perm -002 ! -type l ! -perm -1000 \) \
		-print >ww &&
	test_line_count = 0 ww &&
	find /run/tk/$mallory_uid -perm /022 ! -type l -print >gw &&
	test_line_count = 0 gw &&
	test "$(stat -c %a:%u /run/tk/$mallory_uid)" = 711:0 &&
	test "$(stat -c %a:%u /run/tk/$mallory_uid/$(ct_id mallory um))" = 644:0 &&
	{ kill -9 $payload || { ps -o pid,uid,stat,etimes,args -u $mallory_uid; false; }; } &&
	wait &&
	test "$(stat -c %a "$mallory_home/tk/containers/$(ct_id mallory um)/exit")" = 644 &&
	tk_as mallory tk-rm um &&
	oracle_after
'
done

test_expect_success BUSYBOX,JQ "[$mode] row 6: tiny rlimits fail closed, no half setup" '
	attack_mode '$mode' &&
	oracle_before mallory &&
	tk_as mallory tk-run --name rl bb /bin/echo ran >out &&
	for lim in --nofile=5 --fsize=0 --nproc=1; do
		# stderr through a pipe: a file there would stop any writer
		# with SIGXFSZ under --fsize=0, the helper or not.
		{ tk_as mallory prlimit $lim tk-start -a rl 2>&1 >out; echo $? >st; } | cat >err &&
		st=$(cat st) &&
		echo "$lim: exit $st" && cat err &&
		if test $st = 0; then
			# It may work: then it must have worked fully.
			echo ran >expect && test_cmp expect out
		else
			test $st -lt 128 && clear_error err || return 1
		fi || return 1
	done &&
	# tk-start clears the last status first: none, or a whole one.
	ex="$mallory_home/tk/containers/$(ct_id mallory rl)/exit" &&
	{ test ! -e "$ex" || test_line_count = 1 "$ex"; } &&
	# The payload gets the caller limits, never the helper ones.
	tk_as mallory prlimit --nofile=64 --fsize=1048576 tk-run --rm bb /bin/grep -E "open files|file size" /proc/self/limits >out &&
	awk "/^Max file size/ { f = \$4 \" \" \$5 } /open files/ { n = \$4 \" \" \$5 } END { print f; print n }" out >got &&
	printf "1048576 1048576\n64 64\n" >expect &&
	test_cmp expect got &&
	tk_as mallory tk-rm rl &&
	test -z "$(ls -A "$mallory_home/tk/containers")" &&
	oracle_after
'

test_expect_success "[$mode] row 7: under no_new_privs: a clear message, nothing done" '
	attack_mode '$mode' &&
	oracle_before mallory &&
	test_must_fail tk_as mallory setpriv --no-new-privs $IDMAP_OWN uidmap $(helper_cmd) 2>err &&
	test_line_count = 0 "$mallory_home/uidmap" &&
	test_grep -E "no_new_privs|no new privileges|nosuid|effective uid is not 0" err &&
	oracle_after
'

test_expect_success "[$mode] row 7: on a nosuid mount: a clear message, nothing done" '
	attack_mode '$mode' &&
	oracle_before mallory &&
	# The setuid program of the mode: the helper, or sudo.
	if test '$mode' = sudo; then
		d=$(dirname "$(command -v sudo)")
	else
		d=$(dirname "$TK_HELPER")
	fi &&
	u=$(tk_user mallory) &&
	unshare -m --propagation private sh -c "
		mount --bind \"$d\" \"$d\" &&
		mount -o remount,bind,nosuid \"$d\" &&
		cd \"$mallory_home\" &&
		runuser -u $u -- env -i PATH=/usr/bin:/bin HOME=\"$mallory_home\" \
			sh \"$TEST_LIB/idmap-own.sh\" \"$mallory_home/uidmap\" $(helper_cmd)
	" 2>err
	st=$? &&
	test $st != 0 && test $st -lt 128 &&
	test_line_count = 0 "$mallory_home/uidmap" &&
	test_grep -E "nosuid|not running as root|effective uid is not 0" err &&
	oracle_after
'

done

# Row 9: in sudo mode, SUDO_UID and SUDO_GID are the caller. Root can set
# them to anything: the helper checks them as numbers.
for bad in 0 abc -1 4294967295 4294967296 " 1000" "1000 " "+1000" 01000 ""; do
	test_expect_success "row 9: sudo mode with SUDO_UID='$bad' is refused" '
		oracle_before mallory &&
		test_status 125 env SUDO_UID="$bad" SUDO_GID=$mallory_gid "$SUDO_HELPER" idmap 1 2>err &&
		clear_error err &&
		test_grep "SUDO_UID" err &&
		oracle_after
	'
done

test_expect_success 'row 9: sudo mode with SUDO_GID missing or bad is refused' '
	test_status 125 env SUDO_UID=$mallory_uid "$SUDO_HELPER" idmap 1 2>err &&
	clear_error err &&
	test_status 125 env SUDO_UID=$mallory_uid SUDO_GID=-1 "$SUDO_HELPER" idmap 1 2>err &&
	clear_error err &&
	test_status 125 env SUDO_GID=$mallory_gid "$SUDO_HELPER" idmap 1 2>err &&
	clear_error err
'

test_done
