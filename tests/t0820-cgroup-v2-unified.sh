#!/bin/sh
test_description='the cgroup v2 path on a hybrid host: its empty cgroup2 bound over /sys/fs/cgroup'
# The helper takes /sys/fs/cgroup being cgroup2 for a pure v2 machine. On a
# hybrid host the cgroup2 tree at /sys/fs/cgroup/unified has none of tk's
# controllers (the v1 hierarchies hold them), but binding it over /sys/fs/cgroup in a
# mount namespace of this script's own runs the v2 code for real: layout,
# cgroup parent, controllers, moving in, namespace, reaper, tk-stats. The
# limits themselves are tested on a real v2 kernel (t0800 there).
if test -z "$TK_T0820_INNER" && test "$(id -u)" = 0 &&
   test "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs &&
   ! grep -qwE "memory|cpu|pids|io|cpuset" /sys/fs/cgroup/unified/cgroup.controllers; then
	TK_T0820_INNER=1
	export TK_T0820_INNER
	exec unshare -m --propagation private sh -c \
		'mount --bind /sys/fs/cgroup/unified /sys/fs/cgroup && exec sh "$0"' "$0"
fi
. "$(dirname "$0")/test-lib.sh"

test -n "$TK_T0820_INNER" ||
	test_skip_all "needs root on a hybrid cgroup host (cgroup2 at /sys/fs/cgroup/unified without tk's controllers)"
test_have_prereq BUSYBOX || test_skip_all "needs a static /bin/busybox (busybox-static)"
test_have_prereq USERNS || test_skip_all "unprivileged user namespaces are disabled"

CGV2=1
. "$TEST_DIRECTORY/lib/cgroup.sh"

as_alice() { tk_as alice "$@"; }

test_expect_success 'setup: /sys/fs/cgroup is cgroup2 here; helper, alice, an image' '
	test "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs &&
	tk_setup_helper &&
	tk_add_user alice &&
	alice_uid=$(tk_user_uid alice) &&
	forget_uid_cgroups $alice_uid &&
	tk_build_busybox_tar "$TRASH/bb.tar.gz" &&
	chmod 644 "$TRASH/bb.tar.gz" &&
	as_alice tk-pull -q --name bb "tar:$TRASH/bb.tar.gz" >/dev/null
'
test_atexit 'tk_as alice sh -c "tk-ls -q | tk-rm -f -"'

test_expect_success 'v2: the container gets tk/<uid>/<id> below our cgroup, root-owned, its own namespace' '
	start_bg one --cgroups enabled bb sh -c "cat /proc/self/cgroup; exec sleep 300" &&
	d=$(ct_cgroup_dir "$cpid" unified) &&
	test "$d" = "$(own_cgroup_dir unified)/tk/$alice_uid/$cid" &&
	test "$(stat -c %u:%a "$d")" = 0:755 &&
	test "$(stat -c %u "$d/cgroup.procs")" = 0 &&
	test_must_fail as_alice sh -c "echo $cpid >$(dirname "$d")/cgroup.procs" &&
	test_must_fail as_alice mkdir "$d/sub" &&
	test_wait_until 10 "grep -q ^0:: one.out" &&
	grep "^0::/\$" one.out &&
	stop_bg one &&
	test_must_fail test -e "$d"
'

test_expect_success 'v2: tk-stats reads the CPU time from cpu.stat' '
	start_bg two --cgroups enabled bb sh -c "i=0; while test \$i -lt 20000; do i=\$((i + 1)); done; exec sleep 300" &&
	test_wait_until 30 "as_alice tk-stats -o json two | grep -q cpu_usec.:[1-9]" &&
	stop_bg two
'

test_expect_success 'v2: a limit whose controller the parent does not get is refused, nothing left' '
	for f in "-m 64M" "--pids-max 10" "--cpus 1" "--memory-high 64M"; do
		test_status 125 as_alice tk-run --rm $f bb true 2>err &&
		test_one_line_error err tk-helper &&
		test_grep "cgroup v2" err &&
		test_grep "the fix: .*cgroup-parent" err || return 1
	done &&
	check_no_cgroups
'

test_expect_success 'v2: a killed tk-run leaves no cgroup' '
	start_bg three --cgroups enabled bb sleep 300 &&
	d=$(ct_cgroup_dir "$cpid" unified) &&
	kill -9 "$(ps -o ppid= -p "$cpid" | tr -d " ")" &&
	test_wait_until 20 "! test -e $d"
'

if test_have_prereq CC; then
# In a cgroup of our own (below ours) that holds processes: a login
# shell's scope on a systemd machine.
test_expect_success 'setup: a helper reading a test tk.conf; a leaf cgroup of ours' '
	build_conf_helper &&
	own=$(own_cgroup_dir unified) &&
	leaf=$own/t0820-leaf &&
	mkdir "$leaf" &&
	test_atexit "rmdir $leaf/tkrel/$alice_uid $leaf/tkrel $leaf 2>/dev/null"
'
# in_leaf CMD...: run CMD in a subshell moved into the leaf cgroup ($PPID
# of a child of the subshell is the subshell).
in_leaf() {
	(sh -c 'echo $PPID' >"$leaf/cgroup.procs" && "$@")
}

test_expect_success 'v2: a relative parent below a cgroup with processes: a limit is refused, naming the fix, nothing made' '
	conf "cgroup-parent = tkrel" &&
	test_status 125 in_leaf tk_as alice tk-run --rm -m 64M bb true 2>err &&
	test_one_line_error err tk-helper &&
	test_grep "memory-max: cgroup v2 passes no memory controller below your cgroup /${leaf#/sys/fs/cgroup/}, as it holds processes; the fix: an absolute cgroup-parent in .*tk.conf, such as cgroup-parent = /tk" err &&
	test_must_fail test -e "$leaf/tkrel"
'

test_expect_success 'v2: a tk.conf cap the parent cannot hold is never skipped: every run is refused' '
	conf "cgroup-parent = tkrel" "max-pids = 64" &&
	test_status 125 in_leaf tk_as alice tk-run --rm bb true 2>err &&
	test_one_line_error err tk-helper &&
	test_grep "max-pids in .*tk.conf: cgroup v2 passes no pids controller below your cgroup" err &&
	test_must_fail test -e "$leaf/tkrel"
'

test_expect_success 'v2: an absolute parent: tk writes no cgroup above it; the error names the one that passes nothing' '
	above=$own/t0820-above &&
	mkdir "$above" &&
	test_atexit "rmdir $above/tk/$alice_uid $above/tk $above 2>/dev/null" &&
	conf "cgroup-parent = /${above#/sys/fs/cgroup/}/tk" &&
	test_status 125 as_alice tk-run --rm --pids-max 10 bb true 2>err &&
	test_one_line_error err tk-helper &&
	test_grep "pids-max: cgroup /${above#/sys/fs/cgroup/} does not pass the pids controller down" err &&
	test_must_fail test -e "$above/tk" &&
	as_alice tk-run --rm --cgroups enabled bb true &&
	test "$(stat -c %u "$above/tk/$alice_uid")" = 0
'
fi

test_done
