#!/bin/sh
test_description='attack table rows 22-24: limits cannot be abused, named, escaped or raised; setuid and sudo mode'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib/attack.sh"

test_have_prereq ROOT || test_skip_all "needs root (creates test users, installs the helper)"
test_have_prereq USERNS || test_skip_all "unprivileged user namespaces are disabled"
test_have_prereq BUSYBOX,JQ || test_skip_all "needs busybox-static and jq"
. "$TEST_DIRECTORY/lib/cgroup.sh"

# The payload of row 24: every way a container might reach a cgroup
# file. It prints one line per write or mount that worked.
cat >escape.sh <<\EOF
mkdir -p /tmp/cg /tmp/cg1
for t in "-t cgroup2 none" "-t cgroup -o memory none" "-t cgroup -o pids none" \
	"-t cgroup -o none,name=x none" "-o remount,rw /sys" "-t sysfs none"; do
	if mount $t /tmp/cg 2>/dev/null; then echo "MOUNTED $t"; fi
done
# Every cgroup filesystem the container can see, mounted by it or not.
for m in $(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/mounts); do
	for d in "$m" "$m/.." "$m/../.."; do
		for f in cgroup.procs cgroup.threads tasks memory.max memory.limit_in_bytes \
			pids.max cpu.max cpu.cfs_quota_us cgroup.subtree_control release_agent \
			notify_on_release devices.allow cgroup.max.depth; do
			if test -f "$d/$f" && echo 1 >"$d/$f" 2>/dev/null; then echo "WROTE $d/$f"; fi
		done
		if mkdir "$d/escape" 2>/dev/null; then echo "MKDIR $d/escape"; fi
	done
done
cat /proc/self/cgroup >/tmp/cgroup.after
true
EOF
chmod 644 escape.sh

test_expect_success 'setup: helpers, member alice, an image' '
	attack_setup &&
	attack_cg_abs_base t0950 &&
	tk_add_user alice &&
	forget_uid_cgroups "$(tk_user_uid alice)" &&
	tk_build_busybox_tar "$TRASH/bb.tar.gz" && chmod 644 "$TRASH/bb.tar.gz" &&
	tk_as alice tk-pull -q --name bb "tar:$TRASH/bb.tar.gz" >/dev/null &&
	mkdir esc && tar -C esc -xzf bb.tar.gz && cp escape.sh esc/escape.sh &&
	tar -C esc -czf esc.tar.gz . && chmod 644 esc.tar.gz &&
	tk_as alice tk-pull -q --name esc "tar:$TRASH/esc.tar.gz" >/dev/null &&
	tk_as alice tk-run --name ct bb /bin/true &&
	args="$(ct_id alice ct) 2"
'


for mode in $(attack_modes); do

# Row 22: values that are not numbers in range, at the tool and again at
# the helper (which parses them itself: a caller need not use tk-run).
test_expect_success "[$mode] row 22: limit values out of grammar or range are refused, nothing written" '
	attack_mode '$mode' &&
	long=$(printf "%010240d" 1) &&
	oracle_before alice &&
	for v in -1 0 18446744073709551616 1e9 "100
max" " 100" "" "$long" max 0x10 "1048576 " +1048576; do
		test_status 125 tk_as alice tk-run --rm --memory-max "$v" bb true 2>err &&
		clear_error err &&
		for k in --memory-max --pids-max --cpu-max --cpu-weight --io-read-bps; do
			helper_start_as alice $k "$v" $args 2>err
			test $? = 2 && clear_error err || return 1
		done || return 1
	done &&
	for a in "--cpuset-cpus 0-" "--cpuset-cpus 1,,2" "--cpuset-cpus 99999999999" \
		 "--io-device 1:2:3" "--io-device 8:" "--io-device /dev/sda"; do
		helper_start_as alice $a $args 2>err
		test $? = 2 && clear_error err || return 1
	done &&
	oracle_after
'

# Row 23: the helper has no generic knob: a knob name is not an option.
test_expect_success "[$mode] row 23: cgroup file names are not options of the helper" '
	attack_mode '$mode' &&
	oracle_before alice &&
	for k in ../cgroup.procs cgroup.procs cgroup.subtree_control release_agent \
		 devices.allow memory.max memory.limit_in_bytes notify_on_release; do
		for form in "--$k 1" "--$k=1" "--cgroup $k=1"; do
			helper_start_as alice $form $args 2>err
			test $? = 2 && clear_error err || return 1
		done
	done &&
	oracle_after
'

# Row 24: from inside (with and without the seccomp filter), no cgroup
# mount and no cgroup write; the container stays in its own cgroup.
for sec in "" "--security-opt seccomp=unconfined"; do
	test_expect_success "[$mode] row 24: from inside${sec:+ ($sec)}, no cgroup can be mounted, joined, made or raised" '
		attack_mode '$mode' &&
		oracle_before alice &&
		tk_as alice tk-run --rm -m 64M --pids-max 30 $sec esc /bin/sh -c \
			"cat /proc/self/cgroup >/tmp/cgroup.before; sh /escape.sh; cmp /tmp/cgroup.before /tmp/cgroup.after && echo SAME-CGROUP" \
			>out 2>err &&
		cat out err &&
		echo SAME-CGROUP >expect &&
		test_cmp expect out &&
		oracle_after
	'
done

# Row 24 from outside: the owner of a running container cannot move it,
# or herself, or raise its limits; the cgroups are root's.
test_expect_success "[$mode] row 24: the owner cannot join, make or raise a container cgroup" '
	attack_mode '$mode' &&
	oracle_before alice &&
	{ tk_as alice tk-run --rm --name locked -m 64M --pids-max 20 bb /bin/sleep 1000 & } &&
	test_wait_until 20 "test -n \"\$(our_named alice sleep)\"" &&
	cpid=$(our_named alice sleep) &&
	for c in $CG_CTRLS; do
		d=$(ct_cgroup_dir "$cpid" $c) &&
		test -n "$d" &&
		test "$(stat -c %u "$d")" = 0 &&
		for target in "$d" "$(dirname "$d")" "$(dirname "$(dirname "$d")")"; do
			test_must_fail tk_as alice sh -c "echo $cpid >$target/cgroup.procs" 2>/dev/null &&
			test_must_fail tk_as alice sh -c "echo \$\$ >$target/cgroup.procs" 2>/dev/null &&
			test_must_fail tk_as alice mkdir "$target/escape" 2>/dev/null || return 1
		done || return 1
	done &&
	if test -n "$CGV2"; then knob=memory.max; else knob=memory.limit_in_bytes; fi &&
	d=$(ct_cgroup_dir "$cpid" memory) &&
	test_must_fail tk_as alice sh -c "echo 999999999 >$d/$knob" 2>/dev/null &&
	echo $((64 << 20)) >expect && test_cmp expect "$d/$knob" &&
	kill -9 "$cpid" && wait &&
	oracle_after
'

done

test_expect_success 'cleanup' '
	tk_as alice tk-rm ct
'

test_done
