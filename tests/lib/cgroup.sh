# Helpers for the cgroup tests (t08xx), sourced after test-lib.sh with
# as_alice defined. Layout-aware: on v1 a controller names its hierarchy;
# on v2 every name means the one tree. CGV2 (1 on pure cgroup v2) is the
# layout as the helper sees it, unless the script set it (t0820: 1 for
# the hybrid machine's cgroup2 hierarchy).

if test -z "${CGV2+set}"; then
	CGV2=
	test "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs && CGV2=1
fi

if test -n "$CGV2"; then
	CG_CTRLS=unified
else
	# One controller per hierarchy: cpu and cpuacct are one on a
	# systemd machine (cpu,cpuacct), two on this CI machine.
	CG_CTRLS=
	_cg_seen=
	for _c in memory cpu cpuacct pids blkio; do
		_h=$(awk -F: -v c="$_c" '{ n = split($2, a, ","); for (i = 1; i <= n; i++)
			if (a[i] == c) { print $1; exit } }' /proc/self/cgroup)
		case " $_cg_seen " in *" $_h "*) test -n "$_h" && continue ;; esac
		_cg_seen="$_cg_seen $_h"
		CG_CTRLS="${CG_CTRLS:+$CG_CTRLS }$_c"
	done
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

# cg_base CTRL: where the helper puts the <uid> cgroups: below our own
# cgroup (the relative default tk, or $CG_TK), or the absolute
# $CG_ABS_BASE that cg_setup_helper chose.
cg_base() {
	if test -n "$CG_ABS_BASE"; then
		echo "/sys/fs/cgroup$CG_ABS_BASE"
	else
		echo "$(own_cgroup_dir $1)/${CG_TK:-tk}"
	fi
}

# build_conf_helper: the installed helper reads /etc/tk/tk.conf, a path
# compiled in. This builds the test's own setuid copy with $TRASH/etc
# compiled in instead, so a test sets policy without touching the
# machine's /etc; no user can point a real helper elsewhere.
build_conf_helper() {
	mkdir -p "$TRASH/etc/tk" &&
	chmod 755 "$TRASH/etc" "$TRASH/etc/tk" &&
	_flags=$(make -s --no-print-directory -C "$REPO" helper-flags) &&
	_conf_helper_cc "$TK_HELPER.new" &&
	chown root:tk "$TK_HELPER.new" &&
	chmod 4750 "$TK_HELPER.new" &&
	mv "$TK_HELPER.new" "$TK_HELPER"
}

# _conf_helper_cc OUT: the helper with $TRASH/etc as its sysconfdir. Only
# the sources that name TK_SYSCONFDIR are compiled again; the others'
# objects of the build are linked as they are (under qemu's TCG, make
# check-vm, compiling them all takes a minute and a half). Should the
# objects not link with these flags, all are compiled. A SANITIZE=1
# build's helper links lib/sanitize.o too (its options and hooks).
_conf_helper_cc() {
	_src=$(cd "$REPO" && grep -l TK_SYSCONFDIR helper/*.c) || return 1
	_san=
	test -z "$TK_SANFLAGS" || _san=$REPO/lib/sanitize.o
	_objs=
	for _c in "$REPO"/helper/*.c; do
		case " $(echo $_src) " in *" helper/${_c##*/} "*) continue ;; esac
		test "${_c%.c}.o" -nt "$_c" || { _objs=; break; }
		_objs="$_objs ${_c%.c}.o"
	done
	mkdir -p "$TRASH/conf-helper" &&
	if test -n "$_objs" && (cd "$REPO" && for _c in $_src; do
		_o=$TRASH/conf-helper/$(basename "$_c" .c).o
		cc $_flags -UTK_SYSCONFDIR -DTK_SYSCONFDIR="\"$TRASH/etc\"" -c -o "$_o" "$_c" || exit 1
	done) && cc $_flags -o "$1" "$TRASH"/conf-helper/*.o $_objs $_san 2>/dev/null; then
		return 0
	fi
	(cd "$REPO" && cc $_flags -UTK_SYSCONFDIR -DTK_SYSCONFDIR="\"$TRASH/etc\"" \
		-o "$1" helper/*.c $_san)
}

# conf LINE...: write the test tk.conf, root's, mode 644.
conf() {
	printf '%s\n' "$@" >"$TRASH/etc/tk/tk.conf" &&
	chmod 644 "$TRASH/etc/tk/tk.conf"
}

# cg_setup_helper NAME: tk_setup_helper, then cg_abs_base NAME.
cg_setup_helper() {
	tk_setup_helper && cg_abs_base "$1"
}

# cg_abs_base NAME: on cgroup v2 our own cgroup holds processes (this
# shell), so it cannot hand controllers to cgroups below it, unless it is
# the root: there, $TK_HELPER is built again with a tk.conf whose
# cgroup-parent is /.../tk-NAME beside our cgroup (CG_ABS_BASE; the
# controllers are enabled in our parent, as in vm/stage2 or a systemd
# user slice). Elsewhere it does nothing.
cg_abs_base() {
	test -n "$CGV2" || return 0
	_own=$(sed -n 's/^0:://p' /proc/self/cgroup)
	test "$_own" = / && return 0
	CG_ABS_BASE=$(dirname "$_own")
	CG_ABS_BASE=${CG_ABS_BASE%/}/tk-$1
	build_conf_helper &&
	conf "cgroup-parent = $CG_ABS_BASE" &&
	test_atexit "rmdir /sys/fs/cgroup$CG_ABS_BASE 2>/dev/null"
}

# forget_uid_cgroups UID: at exit, remove the empty <parent>/UID cgroups the
# helper keeps for a user (they hold tk.conf's caps), once the user is gone.
forget_uid_cgroups() {
	for _c in $CG_CTRLS; do
		test_atexit "rmdir $(cg_base $_c)/$1 2>/dev/null"
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
# (below cg_base).
check_no_cgroups() {
	for _c in $CG_CTRLS; do
		_cgu=$(cg_base $_c)/$alice_uid
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
