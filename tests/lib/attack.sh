# Attack-table tests (SECURITY.md, "Attacks every release must survive"):
# the two ways the helper is installed, and the table's oracle. Sourced by
# tests/t09xx-*.sh after test-lib.sh, as root.
#
#   attack_setup             a setuid copy (4750 root:tk) and a sudo copy
#                            (0755 root:root + a sudoers.d rule checked
#                            with visudo -cf) of the build tree's helper
#   attack_mode setuid|sudo  point TK_HELPER (and so the tools) at one
#   helper_as NAME ARGS...   run the helper as test user NAME the way the
#                            tools do in the current mode (fd 3 kept)
#   oracle_before / oracle_after [USER...]
#       the oracle of every row: the canary tree ($CANARY, root-owned,
#       the target of every attack that aims outside the store) hashed
#       with its modes and owners; the host's mount table; no setuid or
#       setgid file under the test users' homes, the trash or /run/tk; no
#       new network interface (veth); no new cgroup under the test's own;
#       no process of the named test users left.
#   clear_error FILE         FILE is one line "tk-helper: ..." or
#                            "tk-<tool>: ..." (the non-zero exit is the
#                            caller's to check)

ATTACK_SUDOERS=

attack_setup() {
	tk_setup_helper || return 1
	SETUID_HELPER=$TK_HELPER
	_d=$(dirname "$(dirname "$TK_HELPER")")/sudo-libexec
	mkdir -p "$_d" && chmod 755 "$_d" &&
	cp "$REPO/helper/tk-helper" "$_d/tk-helper" &&
	chown root:root "$_d/tk-helper" && chmod 0755 "$_d/tk-helper" || return 1
	SUDO_HELPER=$_d/tk-helper
	if command -v sudo >/dev/null && command -v visudo >/dev/null; then
		ATTACK_SUDOERS=/etc/sudoers.d/tk-test-$TK_TEST_USER_PREFIX-$$
		sed "s|@LIBEXECDIR@|$_d|g" "$REPO/sudoers.d/tk.in" >"$TRASH/sudoers.tmp" &&
		visudo -cf "$TRASH/sudoers.tmp" >/dev/null &&
		install -m 0440 "$TRASH/sudoers.tmp" "$ATTACK_SUDOERS" || return 1
		test_atexit "rm -f $ATTACK_SUDOERS"
	fi
	CANARY=$(mktemp -d /tmp/tk-canary.XXXXXX) || return 1
	_test_tmpdirs="$_test_tmpdirs $CANARY"
	chmod 755 "$CANARY" &&
	mkdir "$CANARY/etc" "$CANARY/root" &&
	echo "root:x:0:0::/root:/bin/sh" >"$CANARY/etc/passwd" &&
	echo secret >"$CANARY/root/secret" &&
	chmod 700 "$CANARY/root" && chmod 600 "$CANARY/root/secret" &&
	echo canary >"$CANARY/canary" || return 1
	export SETUID_HELPER SUDO_HELPER CANARY
	attack_mode setuid
}

# attack_cg_abs_base NAME (lib/cgroup.sh sourced, after attack_setup):
# cg_abs_base for both helpers: on cgroup v2 below a cgroup of ours (the
# VM, make check-vm), the setuid and the sudo helper are the one built
# with a tk.conf whose cgroup-parent is $CG_ABS_BASE, so containers get
# controllers; the oracle then watches that base too.
attack_cg_abs_base() {
	attack_mode setuid &&
	cg_abs_base "$1" || return 1
	test -n "$CG_ABS_BASE" || return 0
	cp "$SETUID_HELPER" "$SUDO_HELPER.new" &&
	chown root:root "$SUDO_HELPER.new" && chmod 0755 "$SUDO_HELPER.new" &&
	mv "$SUDO_HELPER.new" "$SUDO_HELPER"
}

# The modes a row runs in: setuid, and sudo when sudo is installed;
# TK_ATTACK_MODES=setuid, setuid only (CI's VM stage: under TCG, sudo
# doubles t0950's time).
attack_modes() {
	if test "$TK_ATTACK_MODES" = setuid; then echo setuid; return; fi
	if test -n "$ATTACK_SUDOERS"; then echo "setuid sudo"; else echo setuid; fi
}

attack_mode() {
	ATTACK_MODE=$1
	case $1 in
	setuid) TK_HELPER=$SETUID_HELPER ;;
	sudo) TK_HELPER=$SUDO_HELPER ;;
	*) echo "attack_mode: bad mode $1" >&2; return 1 ;;
	esac
	export TK_HELPER ATTACK_MODE
}

# helper_as NAME ARGS...: the helper as user NAME, stdin/stdout/stderr and
# fd 3 passed through, in the current mode.
helper_as() {
	_who=$1
	shift
	if test "$ATTACK_MODE" = sudo; then
		tk_as "$_who" sudo -n -C 4 "$TK_HELPER" "$@"
	else
		tk_as "$_who" "$TK_HELPER" "$@"
	fi
}

_oracle_state() {
	_o=$1
	shift
	# Canary: content, modes, owners, link counts, every entry.
	(cd "$CANARY" && find . -printf '%p %m %u:%g %n %s %y %l\n' | sort &&
	 find . -type f -exec sha256sum {} + | sort) >"$_o.canary"
	# Other checkouts run their suites, and benchmarks, on this machine
	# at the same time: their mounts under /work, /tmp, /var/tmp and /run
	# are not ours to judge (none of the attacks aims there).
	cut -d' ' -f3- /proc/self/mountinfo |
	awk -v repo="$REPO/" -v trash="$TRASH/" -v canary="$CANARY/" \
	    -v homes="/tmp/tk-test-home.$TK_TEST_USER_PREFIX" '
		function under(p, d) { return substr(p "/", 1, length(d)) == d }
		($3 ~ "^/work/" && !under($3, repo)) || $3 ~ "^/var/tmp/" ||
		($3 ~ "^/run/" && !under($3, "/run/tk/")) ||
		($3 ~ "^/tmp/" && !under($3, trash) && !under($3, canary) &&
		 substr($3, 1, length(homes)) != homes) { next }
		{ print }' | sort >"$_o.mounts"
	_homes=
	for _u in $ORACLE_USERS; do
		_homes="$_homes $(tk_user_home "$_u")"
	done
	find $_homes "$TRASH" /run/tk -xdev -perm /6000 ! -path "$TRASH/libexec/*" \
		! -path "$TRASH/open/*" -printf '%p %m %u\n' 2>/dev/null | sort >"$_o.setuid"
	ip -o link show 2>/dev/null | cut -d: -f2 | sort >"$_o.links"
	_cg=$(awk -F: '$2 == "memory" || $2 == "" { print $3; exit }' /proc/self/cgroup)
	# tk's per-user parents (tk/<uid>) stay by design; a container's
	# cgroup below them must not. Other uids' containers are other
	# tests' (root's, running meanwhile in this cgroup), not ours.
	_uids=
	for _u in $ORACLE_USERS; do
		_uids="$_uids|$(tk_user_uid "$_u")"
	done
	# Pure cgroup v2 (the VM): the one hierarchy is /sys/fs/cgroup.
	_cgdirs="/sys/fs/cgroup/memory$_cg /sys/fs/cgroup/unified$_cg"
	test "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs &&
		_cgdirs="/sys/fs/cgroup$_cg"
	find $_cgdirs -mindepth 1 \
		-type d 2>/dev/null | grep -v -E '/tk(/[0-9]+)?$' |
		grep -v -E "/tk/[0-9]+/" | sort >"$_o.cgroups"
	find $_cgdirs -mindepth 1 \
		-type d 2>/dev/null | grep -E "/tk/(x$_uids)/." | sort >>"$_o.cgroups"
	# The test's own base beside its cgroup (attack_cg_abs_base): the
	# <uid> parents stay, nothing below them.
	if test -n "$CG_ABS_BASE"; then
		find "/sys/fs/cgroup$CG_ABS_BASE" -mindepth 2 -type d 2>/dev/null |
			sort >>"$_o.cgroups"
	fi
	# Other test users come and go (their own inodes): link counts only.
	stat -c '%n %h' /etc/shadow /etc/passwd /etc/sudoers >"$_o.etc" 2>/dev/null
}

# _our_processes USER: pids of test user USER in our own cgroup or below
# (test-lib.sh's _our_pids).
_our_processes() {
	_our_pids "$(tk_user "$1")"
}

# our_named USER COMM: the pids of _our_processes USER named COMM (a
# stray process of a reused uid elsewhere is not ours).
our_named() {
	for _p in $(_our_processes "$1"); do
		test "$(cat /proc/$_p/comm 2>/dev/null)" = "$2" && echo "$_p"
	done
	return 0
}

# oracle_before [USER...]: snapshot; USERs are the test users whose
# processes must all be gone by oracle_after.
oracle_before() {
	ORACLE_USERS="$*"
	_oracle_state "$TRASH/oracle.before"
}

oracle_after() {
	_st=0
	_oracle_state "$TRASH/oracle.after"
	for _k in canary mounts setuid links cgroups etc; do
		if ! cmp -s "$TRASH/oracle.before.$_k" "$TRASH/oracle.after.$_k"; then
			echo "oracle: $_k changed:" >&2
			diff "$TRASH/oracle.before.$_k" "$TRASH/oracle.after.$_k" >&2
			_st=1
		fi
	done
	for _u in $ORACLE_USERS; do
		# A process may take a moment to be reaped after its parent.
		_n=50
		while test -n "$(_our_processes "$_u")" && test $_n -gt 0; do
			sleep 0.1
			_n=$((_n - 1))
		done
		if test -n "$(_our_processes "$_u")"; then
			echo "oracle: processes of $(tk_user "$_u") left:" >&2
			for _p in $(_our_processes "$_u"); do
				tr '\0' ' ' <"/proc/$_p/cmdline" >&2; echo >&2
			done
			_st=1
		fi
	done
	return $_st
}

# clear_error FILE: one line, prefixed by the program that refused.
clear_error() {
	test_line_count = 1 "$1" &&
	if ! grep -q -E '^(tk-helper|tk-[a-z]+|tk|sudo): .' "$1"; then
		echo "clear_error: not a tk message:" >&2
		cat "$1" >&2
		return 1
	fi
}

# ct_id USER NAME: the ID of USER's container NAME.
ct_id() {
	jq -r --arg n "$2" 'select(.name == $n) | .id' \
		"$(tk_user_home "$1")"/tk/containers/*/container.json
}

# helper_start_as USER ARGS...: `tk-helper start ARGS...` as USER, in the
# current mode, as the runner calls it: one end of a unix socket on fd 3
# (tests/lib/sock3.py; what the reaper answers, if anything, on stdout).
helper_start_as() {
	_who=$1
	shift
	if test "$ATTACK_MODE" = sudo; then
		set -- sudo -n -C 4 "$TK_HELPER" start "$@"
	else
		set -- "$TK_HELPER" start "$@"
	fi
	tk_as "$_who" "$PYTHON" "$TEST_LIB/sock3.py" "$@"
}
