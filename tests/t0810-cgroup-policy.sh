#!/bin/sh
test_description='tk.conf: the cgroup parent and per-user caps, enforced by the helper'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq ROOT || test_skip_all "needs root (test users, a setuid helper, cgroups)"
test_have_prereq BUSYBOX || test_skip_all "needs a static /bin/busybox (busybox-static)"
test_have_prereq USERNS || test_skip_all "unprivileged user namespaces are disabled"
test_have_prereq CC || test_skip_all "needs a C compiler (builds a helper reading a test tk.conf)"

. "$TEST_DIRECTORY/lib/cgroup.sh"

as_alice() { tk_as alice "$@"; }

test_expect_success 'setup: a helper reading a test tk.conf, alice, an image' '
	cg_setup_helper t0810 &&
	{ test -n "$CG_ABS_BASE" || build_conf_helper; } &&
	tk_add_user alice &&
	alice_uid=$(tk_user_uid alice) &&
	CG_TK=tktest forget_uid_cgroups $alice_uid &&
	tk_build_busybox_tar "$TRASH/bb.tar.gz" &&
	chmod 644 "$TRASH/bb.tar.gz" &&
	as_alice tk-pull -q --name bb "tar:$TRASH/bb.tar.gz" >/dev/null &&
	conf "# caps for the test" "cgroup-parent = ${CG_ABS_BASE:-tktest}" "max-memory = 48M" \
	     "max-pids = 40" "max-cpus = 0.5" "max-containers = 1"
'
test_atexit 'tk_as alice sh -c "tk-ls -q | tk-rm -f -"'

mem_knob() { if test -n "$CGV2"; then echo memory.max; else echo memory.limit_in_bytes; fi; }

test_expect_success 'the cgroup parent comes from tk.conf; the caps are the limits of <parent>/<uid>' '
	start_bg p1 bb sleep 300 &&
	for c in $CG_CTRLS; do
		d=$(ct_cgroup_dir "$cpid" $c) &&
		test "$d" = "$(CG_TK=tktest cg_base $c)/$alice_uid/$cid" || return 1
	done &&
	u=$(CG_TK=tktest cg_base memory)/$alice_uid &&
	echo $((48 << 20)) >expect && test_cmp expect "$u/$(mem_knob)" &&
	u=$(CG_TK=tktest cg_base pids)/$alice_uid &&
	echo 40 >expect && test_cmp expect "$u/pids.max" &&
	u=$(CG_TK=tktest cg_base cpu)/$alice_uid &&
	if test -n "$CGV2"; then
		echo "50000 100000" >expect && test_cmp expect "$u/cpu.max"
	else
		echo 50000 >expect && test_cmp expect "$u/cpu.cfs_quota_us"
	fi
'

test_expect_success 'max-containers: a second running container is refused' '
	{ test_status 125 as_alice tk-run --rm bb true 2>err || { cat err; false; }; } &&
	test_one_line_error err tk-helper &&
	test_grep "max-containers" err &&
	test_status 125 as_alice tk-run --rm -d bb true 2>err &&
	test_grep "max-containers" err &&
	as_alice tk-ls -a -q >left &&
	test_line_count = 1 left &&
	as_alice tk-stats p1 >/dev/null &&
	stop_bg p1 &&
	as_alice tk-run --rm bb true
'

test_expect_success 'requests over a cap are refused, nothing left' '
	for f in "-m 64M" "--memory-max 49M" "--pids-max 41" "--cpus 1" "--cpu-quota 60"; do
		test_status 125 as_alice tk-run --rm $f bb true 2>err &&
		test_one_line_error err tk-helper &&
		test_grep "tk.conf" err || return 1
	done &&
	as_alice tk-run --rm -m 48M --pids-max 40 --cpus 0.5 bb true &&
	CG_TK=tktest check_no_cgroups
'

test_expect_success 'the memory cap holds without a limit of the container own' '
	test_status 137 as_alice tk-run --name capped bb sh -c \
		"x=\$(head -c 200000000 /dev/zero | tr \"\\0\" a); echo survived" >out 2>err &&
	test_grep -v survived out &&
	as_alice tk-ls -a >ls &&
	test_grep "OOM-killed (137)" ls
'

test_expect_success 'root is not capped' '
	tk-pull -q --name bb "tar:$TRASH/bb.tar.gz" >/dev/null &&
	tk-run --rm -m 64M --pids-max 100 bb true
'

test_expect_success 'bad tk.conf lines: the helper refuses to run, naming the line' '
	for l in "max-memory = 1e9" "max-memory = -1" "max-memory = 100" "max-memory =" \
		 "max-cpus = 0" "max-cpus = 1.234" "max-cpus = 1." "max-cpus = 2000" \
		 "max-pids = 0" "max-pids = 4194305" "max-containers = x" \
		 "cgroup-parent = ../x" "cgroup-parent = a//b" "cgroup-parent = /" \
		 "cgroup-parent = a/./b" "cgroup-parent = a b" "cgroup-parent = a/" \
		 "max-memorys = 1G"; do
		conf "# a comment" "$l" &&
		test_status 125 as_alice tk-run --rm bb true 2>err &&
		test_one_line_error err tk-helper &&
		test_grep "tk.conf:2: " err || return 1
	done
'

# hier_root CTRL: the root of CTRL's hierarchy.
hier_root() {
	if test -n "$CGV2"; then echo /sys/fs/cgroup; else echo "/sys/fs/cgroup/$1"; fi
}

# An absolute parent is taken from each hierarchy's root: the test's own
# memory cgroup path, so it stays under our own cgroup in every hierarchy
# (in the others, ours is the root here). rmdir -p removes what it made
# and stops at the first cgroup that is not empty (ours).
test_expect_success 'an absolute cgroup parent, from the hierarchy root' '
	if test -n "$CGV2"; then own=$(sed -n "s/^0:://p" /proc/self/cgroup)
	else own=$(sed -n "s/^[0-9]*:memory://p" /proc/self/cgroup); fi &&
	own=${own%/} &&
	conf "cgroup-parent = $own/tkabs" &&
	test_atexit "for c in $CG_CTRLS; do rmdir -p \$(hier_root \$c)$own/tkabs/$alice_uid 2>/dev/null; done" &&
	as_alice tk-run --rm --cgroups enabled bb true &&
	for c in $CG_CTRLS; do
		u=$(hier_root $c)$own/tkabs/$alice_uid &&
		test "$(stat -c %u "$u")" = 0 &&
		test -z "$(find "$u" -mindepth 1 -maxdepth 1 -type d)" || return 1
	done
'

test_done
