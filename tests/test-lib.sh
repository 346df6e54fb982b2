# tk test library: TAP output for prove, in the manner of git's t/test-lib.sh.
#
# A test script sets test_description, sources this file, then runs
#
#	test_expect_success [PREREQ[,PREREQ...]] 'title' 'shell code'
#
# blocks and ends with test_done. Each block is eval'd in the script's own
# shell (so variables carry over to later blocks), from inside the trash
# directory, with stdin on /dev/null; its output is kept and shown (as TAP
# comments) only when it fails, or always with TK_TEST_VERBOSE=1.
#
# Every script gets a fresh trash directory tests/trash.<script>/, removed at
# the end when every test passed, and TK_ROOT=$TRASH/store.
#
# Prerequisites: ROOT USERNS BUSYBOX JQ PYTHON3 UMOCI SKOPEO CC ZSTD XZ.

# ---------------------------------------------------------------- set-up

TEST_DIRECTORY=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$TEST_DIRECTORY/.." && pwd)
TEST_NAME=$(basename "$0" .sh)

# A directory every user can reach: each component of the path o+x.
_reachable() {
	_p=$1
	while test "$_p" != / && test -n "$_p"; do
		_m=$(stat -c %A "$_p") || return 1
		case $_m in ?????????[xt]) ;; *) return 1 ;; esac
		_p=$(dirname "$_p")
	done
	return 0
}

# The trash directory: tests/trash.<script>, unless test users could not
# reach it (a clone under /root): then /tmp/tk-tests-<uid>/trash.<script>.
# TK_TEST_TRASH_ROOT overrides.
if test -n "$TK_TEST_TRASH_ROOT"; then
	TRASH_ROOT=$TK_TEST_TRASH_ROOT
elif test "$(id -u)" != 0 || _reachable "$TEST_DIRECTORY"; then
	TRASH_ROOT=$TEST_DIRECTORY
else
	TRASH_ROOT=/tmp/tk-tests-$(id -u)
	mkdir -p "$TRASH_ROOT" && chmod 755 "$TRASH_ROOT"
fi
TRASH=$TRASH_ROOT/trash.$TEST_NAME
export REPO TEST_DIRECTORY TRASH

test_count=0
test_failures=0
test_skipped=0
_test_users=
_test_created_group=
_test_cleanups=
_test_tmpdirs=
_test_setuid_copies=

# A fixed, boring environment: tests must not depend on the caller's.
LC_ALL=C
LANG=C
TZ=UTC
export LC_ALL LANG TZ
unset TK_HELPER TK_ROOT XDG_DATA_HOME CDPATH GREP_OPTIONS
PATH=$REPO/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

# Python: the system's, not a per-user shim (test users run it too).
if test -x /usr/bin/python3; then
	PYTHON=/usr/bin/python3
else
	PYTHON=$(command -v python3 || echo python3)
fi
export PYTHON

_rm_trash() {
	# --one-file-system: never follow a leaked mount out of the trash.
	test -e "$1" || return 0
	chmod -R u+rwx "$1" 2>/dev/null
	rm -rf --one-file-system "$1"
}

_rm_trash "$TRASH"
if test -e "$TRASH"; then
	echo "Bail out! cannot remove old trash directory $TRASH (a leaked mount?)"
	exit 1
fi
mkdir -p "$TRASH" || { echo "Bail out! cannot make $TRASH"; exit 1; }
chmod 755 "$TRASH"
TK_ROOT=$TRASH/store
export TK_ROOT
cd "$TRASH" || exit 1
# Test scripts and fixtures' sources, where test users can reach them.
cp -R "$TEST_DIRECTORY/lib" "$TRASH/lib" && chmod -R a+rX "$TRASH/lib" || exit 1
TEST_LIB=$TRASH/lib
export TEST_LIB

# make check-valgrind: TK_VALGRIND is the valgrind command line (its
# --log-file collects the reports, which the Makefile checks). The
# dynamic tools root runs from PATH go through it; so do the unit drivers a
# script wraps with test_valgrind_wrap. (Test users' runs and the setuid
# helper do not.)
test_valgrind_wrap() {
	test -n "$TK_VALGRIND" || return 0
	for _p; do
		mv "$_p" "$_p.real" &&
		printf '#!/bin/sh\nexec %s %s "$@"\n' "$TK_VALGRIND" "$(cd "$(dirname "$_p")" && pwd)/${_p##*/}.real" >"$_p" &&
		chmod 755 "$_p" || return 1
	done
}
if test -n "$TK_VALGRIND"; then
	mkdir -p "$TRASH/.valgrind-bin" || exit 1
	for _t in "$REPO"/bin/tk "$REPO"/bin/tk-*; do
		case $_t in *.c|*.o) continue ;; esac
		# Static programs (tk-run, the monitor): memcheck cannot see
		# their malloc, and reports static glibc's own start-up.
		ldd "$_t" >/dev/null 2>&1 || continue
		printf '#!/bin/sh\nexec %s %s "$@"\n' "$TK_VALGRIND" "$_t" >"$TRASH/.valgrind-bin/${_t##*/}"
	done
	chmod 755 "$TRASH"/.valgrind-bin/*
	PATH=$TRASH/.valgrind-bin:$PATH
fi

say() { printf '# %s\n' "$*"; }

test_description() {
	say "$TEST_NAME: $*"
}

# ---------------------------------------------------------------- cleanup

# _our_pids LOGIN: pids of LOGIN in our own memory cgroup (v2: our
# cgroup) or below, or below $CG_ABS_BASE (attack_cg_abs_base).
# (A uid is reused when test users come and go; another checkout's
# leftovers under a reused uid sit in that checkout's cgroup.)
_our_pids() {
	# The memory hierarchy's line, or on pure cgroup v2 the only one ("0::").
	_key=memory
	grep -q '^[0-9]*:memory:' /proc/self/cgroup || _key=
	_cg=$(awk -F: -v k="$_key" '$2 == k { print $3; exit }' /proc/self/cgroup)
	for _p in $(pgrep -u "$1"); do
		if awk -F: -v cg="$_cg" -v k="$_key" -v ab="$CG_ABS_BASE" '$2 == k && (cg == "/" || $3 == cg || index($3, cg "/") == 1 || (ab != "" && index($3, ab "/") == 1)) { f = 1 } END { exit !f }' "/proc/$_p/cgroup" 2>/dev/null; then
			echo "$_p"
		fi
	done
}

_test_cleanup_all() {
	# Commands registered with test_atexit, last first.
	if test -n "$_test_cleanups"; then
		eval "$_test_cleanups" >/dev/null 2>&1
	fi
	for u in $_test_users; do
		# What the script left running as the user (a container, its
		# monitor) goes first, by pid: the next user given this uid
		# must inherit no process.
		_left=$(_our_pids "$u")
		if test -n "$_left"; then
			kill -9 $_left 2>/dev/null
			_n=50
			while test -n "$(_our_pids "$u")" && test $_n -gt 0; do
				sleep 0.1
				_n=$((_n - 1))
			done
		fi
		# The helper keeps a deleted user's records (tk-helper(8)).
		_uid=$(id -u "$u" 2>/dev/null) && rm -rf "/run/tk/$_uid"
		userdel -r -f "$u" >/dev/null 2>&1
		_subid_remove "$u"
	done
	# Other checkouts' tests on this machine may have made members of
	# the group meanwhile: it stays while it has any.
	if test -n "$_test_created_group" && test -z "$(getent group tk | cut -d: -f4)"; then
		groupdel tk >/dev/null 2>&1
	fi
	# Never leave a setuid-root copy of the helper behind, even in a
	# trash directory kept for a failed run.
	if test -n "$_test_setuid_copies"; then
		for f in $_test_setuid_copies; do
			test -f "$f" && chmod u-s,g-s "$f"
		done
	fi
	for d in $_test_tmpdirs; do
		_rm_trash "$d"
	done
}

# test_atexit 'shell code': run when the script ends, whatever happens.
test_atexit() {
	_test_cleanups="{ $1 ; } ; $_test_cleanups"
}

trap '_test_cleanup_all' EXIT
trap 'exit 130' INT TERM HUP

# ---------------------------------------------------------------- prereqs

_prereq_cache=" "
_prereq_miss=" "

_check_prereq() {
	case $1 in
	ROOT)    test "$(id -u)" = 0 ;;
	NOTROOT) test "$(id -u)" != 0 ;;
	USERNS)
		if test "$(id -u)" = 0; then
			runuser -u nobody -- unshare -U true 2>/dev/null
		else
			unshare -U true 2>/dev/null
		fi ;;
	BUSYBOX)
		test -x /bin/busybox &&
		! LC_ALL=C ldd /bin/busybox >/dev/null 2>&1 ;;
	JQ)      command -v jq >/dev/null ;;
	PYTHON3) "$PYTHON" -c 'import tarfile' 2>/dev/null ;;
	UMOCI)   command -v umoci >/dev/null ;;
	SKOPEO)  command -v skopeo >/dev/null ;;
	CC)      command -v cc >/dev/null ;;
	ZSTD)    command -v zstd >/dev/null ;;
	XZ)      command -v xz >/dev/null ;;
	*)       echo "Bail out! unknown prerequisite $1"; exit 1 ;;
	esac
}

# test_have_prereq A[,B...]: true when all are there. Sets $missing_prereq.
test_have_prereq() {
	missing_prereq=
	_save_ifs=$IFS
	IFS=,
	set -- $*
	IFS=$_save_ifs
	for p; do
		case $_prereq_cache in *" $p "*) continue ;; esac
		case $_prereq_miss in *" $p "*)
			missing_prereq=${missing_prereq:+$missing_prereq,}$p
			continue ;;
		esac
		if _check_prereq "$p"; then
			_prereq_cache="$_prereq_cache$p "
		else
			_prereq_miss="$_prereq_miss$p "
			missing_prereq=${missing_prereq:+$missing_prereq,}$p
		fi
	done
	test -z "$missing_prereq"
}

# ---------------------------------------------------------------- TAP

test_skip_all() {
	echo "1..0 # SKIP $*"
	cd "$TEST_DIRECTORY"
	_rm_trash "$TRASH"
	exit 0
}

_test_run() {
	# $1: title, $2: code. Returns the code's status.
	cd "$TRASH" || return 1
	eval "$2" </dev/null >"$TRASH/.test-output" 2>&1
	_status=$?
	cd "$TRASH"
	return $_status
}

_show_output() {
	sed -e 's/^/#   /' "$TRASH/.test-output"
}

test_expect_success() {
	_prereq=
	if test $# = 3; then
		_prereq=$1
		shift
	fi
	test $# = 2 || { echo "Bail out! bug in the test script: test_expect_success needs 2 or 3 arguments"; exit 1; }
	test_count=$((test_count + 1))
	if test -n "$_prereq" && ! test_have_prereq "$_prereq"; then
		test_skipped=$((test_skipped + 1))
		echo "ok $test_count # skip $1 (missing $missing_prereq)"
		return 0
	fi
	if _test_run "$1" "$2"; then
		echo "ok $test_count - $1"
		test -n "$TK_TEST_VERBOSE" && _show_output
	else
		test_failures=$((test_failures + 1))
		echo "not ok $test_count - $1"
		printf '%s\n' "$2" | sed -e 's/^/#	/'
		say "  output:"
		_show_output
	fi
	return 0
}

test_done() {
	echo "1..$test_count"
	if test "$test_failures" = 0; then
		cd "$TEST_DIRECTORY"
		_test_cleanup_all
		_test_cleanups=
		_test_users=
		_test_created_group=
		_test_tmpdirs=
		_rm_trash "$TRASH"
		exit 0
	fi
	say "failed $test_failures among $test_count test(s); trash kept in $TRASH"
	exit 1
}

# ---------------------------------------------------------------- assertions

# test_must_fail CMD...: CMD exits non-zero, was found (not 127), and did
# not die by a signal. For tk-run's payload statuses use test_status.
test_must_fail() {
	"$@"
	_st=$?
	if test $_st = 0; then
		echo "test_must_fail: command succeeded: $*" >&2
		return 1
	elif test $_st = 127; then
		echo "test_must_fail: command not found (127): $*" >&2
		return 1
	elif test $_st -gt 128 && test $_st -le 192; then
		echo "test_must_fail: died by signal $((_st - 128)): $*" >&2
		return 1
	fi
	return 0
}

# test_status N CMD...: CMD exits with status N exactly.
test_status() {
	_want=$1
	shift
	if ! command -v "$1" >/dev/null; then
		echo "test_status: command not found: $1" >&2
		return 1
	fi
	"$@"
	_st=$?
	if test "$_st" != "$_want"; then
		echo "test_status: wanted exit $_want, got $_st: $*" >&2
		return 1
	fi
	return 0
}

test_cmp() {
	diff -u "$1" "$2"
}

# test_line_count OP N FILE
test_line_count() {
	_n=$(wc -l <"$3")
	if ! test "$_n" "$1" "$2"; then
		echo "test_line_count: $3 has $_n lines, wanted $1 $2:" >&2
		cat "$3" >&2
		return 1
	fi
}

# test_one_line_error FILE TOOL: FILE is exactly one line, "TOOL: ...".
test_one_line_error() {
	test_line_count = 1 "$1" &&
	if ! grep -q "^$2: " "$1"; then
		echo "error does not start with '$2: ':" >&2
		cat "$1" >&2
		return 1
	fi
}

# test_grep [-v] [-i] PATTERN FILE: grep that shows the file when it fails.
test_grep() {
	_neg=
	_flags=
	while :; do
		case $1 in
		-v) _neg=1; shift ;;
		-i|-E|-F|-x) _flags="$_flags $1"; shift ;;
		*) break ;;
		esac
	done
	if test -n "$_neg"; then
		if grep $_flags -e "$1" "$2" >/dev/null; then
			echo "test_grep: '$1' unexpectedly found in $2:" >&2
			cat "$2" >&2
			return 1
		fi
	elif ! grep $_flags -e "$1" "$2" >/dev/null; then
		echo "test_grep: '$1' not found in $2:" >&2
		cat "$2" >&2
		return 1
	fi
	return 0
}

# test_wait_until SECONDS 'shell code': poll every 0.1 s.
test_wait_until() {
	_n=$(($1 * 10))
	while test $_n -gt 0; do
		eval "$2" >/dev/null 2>&1 && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	echo "test_wait_until: timed out after $1 s: $2" >&2
	return 1
}

is_hex64() {
	printf '%s\n' "$1" | grep -qx '[0-9a-f]\{64\}'
}

# A marker unique to this script and call, to find our payloads with pgrep.
marker() {
	echo "tkmark-$$-$1"
}

# kill_marker MARKER: SIGKILL our own leftover processes that carry MARKER.
kill_marker() {
	for _p in $(pgrep -f -- "$1"); do
		kill -9 "$_p" 2>/dev/null
	done
	return 0
}

# ---------------------------------------------------------------- oracles

# mounts_snapshot FILE: the mount table without the mount ids (fields 1-2),
# sorted, so that a diff is stable; plus FILE.containers, the store's
# container list.
mounts_snapshot() {
	cut -d' ' -f3- /proc/self/mountinfo | sort >"$1"
	ls -A "${TK_ROOT:?}/containers" 2>/dev/null | sort >"$1.containers"
}

# tmp_left STORE: what STORE/tmp holds but the emptied container
# directories that --rm runs keep for the next (spare-N: an empty upper and
# an empty work, nothing else).
tmp_left() {
	for _e in $(ls -A "$1/tmp" 2>/dev/null); do
		case $_e in
		spare-[0-9])
			test "$(cd "$1/tmp/$_e" && find . -mindepth 1 | sort | tr '\n' ' ')" = \
				"./upper ./work " && continue ;;
		esac
		echo "$_e"
	done
}

# check_no_leaks BEFORE [MARKER]: no new mounts since BEFORE, the same
# containers in the store, nothing left in $TK_ROOT/tmp (tmp_left), and no
# process with MARKER in its command line.
check_no_leaks() {
	_ok=0
	cut -d' ' -f3- /proc/self/mountinfo | sort >"$1.after"
	# Other checkouts' suites (/work/wt-*, /var/tmp) mount things on
	# this machine meanwhile: only new mounts outside them count.
	comm -13 "$1" "$1.after" | awk -v repo="$REPO/" '
		($3 ~ "^/work/" && substr($3 "/", 1, length(repo)) != repo) ||
		$3 ~ "^/var/tmp/" { next } { print }' >"$1.new"
	if test -s "$1.new"; then
		echo "check_no_leaks: new mounts:" >&2
		cat "$1.new" >&2
		_ok=1
	fi
	ls -A "$TK_ROOT/containers" 2>/dev/null | sort >"$1.containers.after"
	if ! cmp -s "$1.containers" "$1.containers.after"; then
		echo "check_no_leaks: containers changed:" >&2
		diff "$1.containers" "$1.containers.after" >&2
		_ok=1
	fi
	if test -n "$(tmp_left "$TK_ROOT")"; then
		echo "check_no_leaks: left in $TK_ROOT/tmp:" >&2
		ls -la "$TK_ROOT/tmp" >&2
		_ok=1
	fi
	if test -n "$2" && pgrep -f -- "$2" >/dev/null; then
		echo "check_no_leaks: processes left:" >&2
		pgrep -a -f -- "$2" >&2
		_ok=1
	fi
	return $_ok
}

# ---------------------------------------------------------------- images

# tk_build_busybox_tar OUT [gz|xz|zst|none] [dot]: a rootfs tarball from
# /bin/busybox (one symlink per applet), with /etc/passwd and /etc/group
# for root and "app" (uid 1000). Entry names as `docker export` writes them
# (bin/sh), or with a leading ./ (as minirootfs tarballs) when "dot" is given.
tk_build_busybox_tar() {
	case $1 in /*) _out=$1 ;; *) _out=$PWD/$1 ;; esac
	_comp=${2:-gz}
	_d=$(mktemp -d "$TRASH/bbroot.XXXXXX") || return 1
	(
		set -e
		cd "$_d"
		mkdir bin etc tmp proc sys dev root home home/app
		cp /bin/busybox bin/busybox
		# One process for the ~400 links, not one each (under qemu's
		# TCG, make check-vm, a fork and exec costs 0.1 s).
		perl -e 'for (@ARGV) { -e "bin/$_" or symlink("busybox", "bin/$_")
			or die "bin/$_: $!\n" }' $(/bin/busybox --list)
		cat >etc/passwd <<-\EOF
		root:x:0:0:root:/root:/bin/sh
		app:x:1000:1000:app:/home/app:/bin/sh
		nobody:x:65534:65534:nobody:/nonexistent:/bin/false
		EOF
		cat >etc/group <<-\EOF
		root:x:0:
		app:x:1000:
		nogroup:x:65534:
		EOF
		echo tk-test-image >etc/hostname
		echo welcome >etc/motd
		chmod 1777 tmp
		chmod 700 root
		chmod 755 . bin etc home
		# Deterministic bytes: the same tree always gives the same
		# uncompressed tar, so the same layer (diff id).
		_own="--format=gnu --sort=name --mtime=@0 --numeric-owner"
		if test "$(id -u)" = 0; then
			chown -R 0:0 .
			chown 1000:1000 home/app
		else
			_own="$_own --owner=0 --group=0"
		fi
		if test "$3" = dot; then
			_what=.
		else
			_what=$(ls -A)
		fi
		case $_comp in
		gz)   tar $_own -cf - $_what | gzip -n ;;
		xz)   tar $_own -cf - $_what | xz ;;
		zst)  tar $_own -cf - $_what | zstd -q ;;
		none) tar $_own -cf - $_what ;;
		esac >"$_out"
	)
	_st=$?
	_rm_trash "$_d"
	return $_st
}

# tk_busybox_image [NAME]: build and pull the busybox image into $TK_ROOT;
# sets $IMG (its id). NAME defaults to "busybox".
tk_busybox_image() {
	if test -f "$REPO/scripts/mkimage-busybox.sh" && test -z "$TK_TEST_OWN_TAR"; then
		sh "$REPO/scripts/mkimage-busybox.sh" "$TRASH/busybox.tar.gz" ||
			tk_build_busybox_tar "$TRASH/busybox.tar.gz"
	else
		tk_build_busybox_tar "$TRASH/busybox.tar.gz"
	fi &&
	IMG=$(tk-pull -q --name "${1:-busybox}" "tar:$TRASH/busybox.tar.gz") &&
	is_hex64 "$IMG"
}

# ---------------------------------------------------------------- helper

# As root: a setuid copy of the build tree's helper, mode 4750 root:tk,
# somewhere other users can reach, and a reachable copy of the tools when
# the build tree is not (a clone under /root). Exports TK_HELPER and
# TK_TEST_BIN (the tools' directory for test users).
tk_setup_helper() {
	test "$(id -u)" = 0 || return 0
	if ! test -x "$REPO/helper/tk-helper"; then
		echo "tk_setup_helper: $REPO/helper/tk-helper is not built" >&2
		return 1
	fi
	if getent group tk >/dev/null; then :; else
		groupadd --system tk || return 1
		_test_created_group=1
	fi
	if _reachable "$TRASH"; then
		_base=$TRASH
	else
		_base=$(mktemp -d /tmp/tk-tests.XXXXXX) || return 1
		chmod 755 "$_base"
		_test_tmpdirs="$_test_tmpdirs $_base"
	fi
	mkdir -p "$_base/libexec" && chmod 755 "$_base/libexec" &&
	cp "$REPO/helper/tk-helper" "$_base/libexec/tk-helper" &&
	chown root:tk "$_base/libexec/tk-helper" &&
	chmod 4750 "$_base/libexec/tk-helper" || return 1
	TK_HELPER=$_base/libexec/tk-helper
	_test_setuid_copies="$_test_setuid_copies $TK_HELPER"
	if _reachable "$REPO/bin"; then
		TK_TEST_BIN=$REPO/bin
	else
		mkdir -p "$_base/bin" && chmod 755 "$_base/bin" &&
		cp "$REPO"/bin/tk "$REPO"/bin/tk-* "$_base/bin/" 2>/dev/null
		rm -f "$_base"/bin/*.c "$_base"/bin/*.o
		chmod 755 "$_base"/bin/*
		TK_TEST_BIN=$_base/bin
	fi
	export TK_HELPER TK_TEST_BIN
}

# ---------------------------------------------------------------- users

# Every change to /etc/subuid and /etc/subgid holds this lock: other
# checkouts' suites on the machine change them too.
_SUBID_LOCK=/run/tk-test-subid.lock

_subid_remove() {
	{
	flock 9
	for _f in /etc/subuid /etc/subgid; do
		test -f "$_f" || continue
		if grep -q "^$1:" "$_f"; then
			# Rewrite in place, keeping the file's inode, owner and mode.
			grep -v "^$1:" "$_f" >"$_f.tk-test" ; cat "$_f.tk-test" >"$_f"
			rm -f "$_f.tk-test"
		fi
	done
	} 9>>"$_SUBID_LOCK"
}

# A free 65536-id range above every range in /etc/subuid and /etc/subgid.
_subid_free_start() {
	cat /etc/subuid /etc/subgid 2>/dev/null |
	awk -F: 'BEGIN { m = 300000 }
		# Not the hostile lines of t0910 (row 25) meanwhile.
		NF == 3 && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ &&
		    $2 + $3 <= 4000000000 && $2 + $3 > m { m = $2 + $3 }
		END { printf "%d\n", int((m + 65535) / 65536) * 65536 }'
}

# tk_user NAME: the login of test user NAME, $TK_TEST_USER_PREFIX<NAME>.
# The prefix defaults to one of the checkout's own (t and a hash of its
# path), so two checkouts' suites running at once, CI's clean clone beside
# a developer's tree, never share test users, their homes or their
# /run/tk directories (login names stay under 32 bytes).
if test -z "$TK_TEST_USER_PREFIX"; then
	TK_TEST_USER_PREFIX=t$(printf %s "$REPO" | cksum | awk '{ printf "%05x", $1 % 1048576 }')
fi
export TK_TEST_USER_PREFIX
tk_user() {
	echo "$TK_TEST_USER_PREFIX$1"
}
tk_user_home() {
	getent passwd "$(tk_user "$1")" | cut -d: -f6
}
tk_user_uid() {
	id -u "$(tk_user "$1")"
}

# tk_add_user NAME [--no-tk] [--no-subid]: a test user (login
# $TK_TEST_USER_PREFIX<NAME>),
# home under /tmp, in group tk unless --no-tk, with a 65536-id range in
# /etc/subuid and /etc/subgid unless --no-subid. Removed at exit.
tk_add_user() {
	_name=$(tk_user "$1")
	shift
	_in_tk=1
	_subid=1
	for _o; do
		case $_o in
		--no-tk) _in_tk= ;;
		--no-subid) _subid= ;;
		*) echo "tk_add_user: bad option $_o" >&2; return 1 ;;
		esac
	done
	# A leftover from a killed run: ours (the comment says so), so remove.
	if getent passwd "$_name" | grep -q ':tk test user:'; then
		userdel -r -f "$_name" >/dev/null 2>&1
		_subid_remove "$_name"
	fi
	_home=/tmp/tk-test-home.$_name
	rm -rf --one-file-system "$_home"
	# SUB_*_COUNT=0: useradd gives no subordinate ids itself; we decide.
	# (Removing its line again raced with other checkouts' tests
	# rewriting /etc/subuid, which could put the line back.)
	useradd -m -d "$_home" -s /bin/sh -c 'tk test user' \
		-K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 \
		${_in_tk:+-G tk} "$_name" || return 1
	_test_users="$_test_users $_name"
	chmod 755 "$_home"
	_subid_remove "$_name"
	if test -n "$_subid"; then
		{
		flock 9 &&
		_start=$(_subid_free_start) &&
		echo "$_name:$_start:65536" >>/etc/subuid &&
		echo "$_name:$_start:65536" >>/etc/subgid
		} 9>>"$_SUBID_LOCK" || return 1
	fi
	return 0
}

# tk_as NAME CMD...: run CMD as test user NAME (runuser does initgroups, so
# the groups are those of /etc/group), in the user's home, with TK_HELPER,
# the build tree's tools on PATH and TK_ROOT=~/tk.
tk_as() {
	_u=$(tk_user "$1")
	shift
	_h=$(getent passwd "$_u" | cut -d: -f6)
	runuser -u "$_u" -- env -i HOME="$_h" USER="$_u" LOGNAME="$_u" \
		LC_ALL=C TZ=UTC PYTHON="$PYTHON" \
		PATH="${TK_TEST_BIN:-$REPO/bin}:/usr/local/bin:/usr/bin:/bin" \
		TK_HELPER="$TK_HELPER" TK_ROOT="$_h/tk" \
		sh -c 'cd "$HOME" && exec "$@"' tk_as "$@"
}
