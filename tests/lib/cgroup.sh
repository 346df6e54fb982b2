# Helpers for the cgroup tests (t08xx), sourced after test-lib.sh with
# CGV2 set (1 on pure cgroup v2) and as_alice defined. Layout-aware: on v1
# a controller names its hierarchy; on v2 every name means the one tree.

if test -n "$CGV2"; then
	CG_CTRLS=unified
else
	CG_CTRLS="memory cpu cpuacct pids blkio"
fi

# _cg_line FILE CTRL: "dir-under-/sys/fs/cgroup path" from a /proc/*/cgroup.
_cg_line() {
	if test -n "$CGV2"; then
		sed -n 's|^0::\(.*\)$| \1|p' "$1"
	else
		awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++)
			if (a[i] == c) { print $2 " " $3; exit } }' "$1"
	fi
}

_cg_dir() {
	_d=${1% *}
	_p=${1#* }
	test "$_p" = / && _p=
	if test -n "$_d"; then echo "/sys/fs/cgroup/$_d$_p"; else echo "/sys/fs/cgroup$_p"; fi
}

# own_cgroup_dir CTRL: this test's own cgroup in CTRL's hierarchy.
own_cgroup_dir() {
	_cg_dir "$(_cg_line /proc/self/cgroup "$1")"
}

# ct_cgroup_dir PID CTRL: the cgroup of process PID in CTRL's hierarchy.
ct_cgroup_dir() {
	_cg_dir "$(_cg_line "/proc/$1/cgroup" "$2")"
}

# forget_uid_cgroups UID: at exit, remove the empty <parent>/UID cgroups the
# helper keeps for a user (they hold tk.conf's caps), once the user is gone.
forget_uid_cgroups() {
	for _c in $CG_CTRLS; do
		test_atexit "rmdir $(own_cgroup_dir $_c)/${CG_TK:-tk}/$1 2>/dev/null"
	done
}

# start_bg NAME TK-RUN-ARGS...: alice runs container NAME in the
# background; sets $cid and $cpid (its pid 1) once it runs.
start_bg() {
	_bgname=$1
	shift
	as_alice tk-run --name "$_bgname" "$@" >"$_bgname.out" 2>"$_bgname.err" &
	test_wait_until 30 "as_alice tk-stats $_bgname" || { cat "$_bgname.err" >&2; return 1; }
	cid=$(as_alice tk-stats -o json "$_bgname" | sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p')
	cpid=$(cut -d" " -f1 "/run/tk/$alice_uid/$cid")
	test -n "$cid" && test -n "$cpid"
}

# stop_bg NAME: remove it (tk-rm -f waits for the helper, so its cgroup is
# gone when this returns).
stop_bg() {
	as_alice tk-rm -f "$1" >/dev/null && wait
}

ct_upper() {
	echo "$(tk_user_home alice)/tk/containers/$cid/upper"
}

# check_no_cgroups: no container cgroup of alice is left in any hierarchy
# (below $CG_TK, default tk, the relative cgroup parent).
check_no_cgroups() {
	for _c in $CG_CTRLS; do
		_cgu=$(own_cgroup_dir $_c)/${CG_TK:-tk}/$alice_uid
		test -d "$_cgu" || continue
		if test -n "$(find "$_cgu" -mindepth 1 -maxdepth 1 -type d)"; then
			echo "cgroups left in $_cgu:" >&2
			ls "$_cgu" >&2
			return 1
		fi
	done
	return 0
}

# make_loop_store: an ext4 file system on a loop device of our own, with a
# store for alice on it (as_loop runs tk tools against it).
make_loop_store() {
	truncate -s 400M "$TRASH/loop.img" &&
	mkfs.ext4 -q "$TRASH/loop.img" &&
	LOOPDEV=$(losetup -f --show "$TRASH/loop.img") &&
	test_atexit "losetup -d $LOOPDEV" &&
	mkdir -p "$TRASH/loopmnt" &&
	mount "$LOOPDEV" "$TRASH/loopmnt" &&
	test_atexit "umount -l $TRASH/loopmnt" &&
	chown "$(tk_user alice)" "$TRASH/loopmnt" &&
	as_loop tk-pull -q --name bb "tar:$TRASH/bb.tar.gz" >/dev/null
}

as_loop() {
	as_alice env TK_ROOT="$TRASH/loopmnt/tk" "$@"
}

have_loop() {
	command -v mkfs.ext4 >/dev/null && command -v losetup >/dev/null &&
	test -e /dev/loop-control
}
