#!/bin/sh
test_description='resource limits: each one takes effect, for a member of tk (setuid helper)'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq ROOT || test_skip_all "needs root (test users, a setuid helper, cgroups)"
test_have_prereq BUSYBOX || test_skip_all "needs a static /bin/busybox (busybox-static)"
test_have_prereq USERNS || test_skip_all "unprivileged user namespaces are disabled"

. "$TEST_DIRECTORY/lib/cgroup.sh"

as_alice() { tk_as alice "$@"; }

test_expect_success 'setup: helper, alice (member of tk), a busybox image' '
	cg_setup_helper t0800 &&
	tk_add_user alice &&
	alice_uid=$(tk_user_uid alice) &&
	forget_uid_cgroups $alice_uid &&
	tk_build_busybox_tar "$TRASH/bb.tar.gz" &&
	chmod 644 "$TRASH/bb.tar.gz" &&
	as_alice tk-pull -q --name bb "tar:$TRASH/bb.tar.gz" >out &&
	is_hex64 "$(cat out)" &&
	mounts_snapshot before
'
test_atexit 'tk_as alice sh -c "tk-ls -q | tk-rm -f -"'

test_expect_success 'memory limit: allocating past it kills the payload, 137, OOM reported' '
	test_status 137 as_alice tk-run --name oom -m 32M bb sh -c \
		"x=\$(head -c 200000000 /dev/zero | tr \"\\0\" a); echo survived" >out 2>err &&
	test_grep -v survived out &&
	test_grep "memory limit was reached" err &&
	as_alice tk-ls -a >ls &&
	test_grep "OOM-killed (137)" ls &&
	as_alice tk-ls -a -o json >json &&
	test_grep "\"oom_killed\":true" json &&
	as_alice tk-inspect -c oom >json &&
	test_grep "\"oom_killed\":true" json
'

test_expect_success 'memory limit: a detached run (tk-monitor) that is OOM-killed is reported too' '
	as_alice tk-run -d --name oomd -m 32M bb sh -c \
		"x=\$(head -c 200000000 /dev/zero | tr \"\\0\" a); echo survived" >out 2>err &&
	test_wait_until 120 "as_alice tk-ls -a | grep -q \"OOM-killed (137).*oomd\"" &&
	as_alice tk-inspect -c oomd >json &&
	test_grep "\"exit_code\":137" json &&
	test_grep "\"oom_killed\":true" json &&
	as_alice tk-logs oomd >log 2>&1 &&
	test_grep -v survived log &&
	test_grep "memory limit was reached" log
'

test_expect_success 'memory limit: a payload under it runs and is not reported' '
	as_alice tk-run --name fine -m 64M bb sh -c "x=\$(head -c 1000000 /dev/zero | tr \"\\0\" a); echo ok" >out 2>err &&
	echo ok >expect &&
	test_cmp expect out &&
	test_grep -v "memory limit" err &&
	as_alice tk-ls -a -o json >json &&
	test_grep "\"name\":\"fine\".*\"oom_killed\":false" json
'

test_expect_success 'the cgroup: under our own cgroup (or beside it, v2), root-owned, the container sees only itself' '
	start_bg cgpath --pids-max 50 -m 64M bb sh -c "cat /proc/self/cgroup; sleep 300" &&
	for c in $CG_CTRLS; do
		d=$(ct_cgroup_dir "$cpid" $c) &&
		base=$(cg_base $c) &&
		case $d in "$base"/$alice_uid/"$cid") ;; *) echo "$d not under $base/$alice_uid" >&2; false ;; esac &&
		test "$(stat -c %u:%a "$d")" = 0:755 &&
		test "$(stat -c %u "$d/cgroup.procs")" = 0 || return 1
	done &&
	test_wait_until 10 "grep -q : cgpath.out" &&
	{ grep -v "^[0-9]*:[^:]*:/\$" cgpath.out >bad; test_line_count = 0 bad; } &&
	stop_bg cgpath &&
	for c in $CG_CTRLS; do
		test_must_fail test -e "$(cg_base $c)/$alice_uid/$cid" || return 1
	done
'

# tk-exec joins the namespaces itself; only the move into the container's
# cgroups is the helper's (join). A command left outside them would see
# its cgroups as paths above the container's namespace root ("/..").
test_expect_success 'tk-exec as a member: the command is in the container'"'"'s cgroups' '
	as_alice tk-run -d --name exj --pids-max 50 bb sleep 300 >/dev/null &&
	as_alice tk-exec exj cat /proc/self/cgroup >in &&
	test -s in &&
	{ grep -v "^[0-9]*:[^:]*:/\$" in >bad; test_line_count = 0 bad; } &&
	as_alice tk-rm -f exj >/dev/null
'

# A loop that forks 200 sleeps (ash gives up at the first failed fork),
# and a count of the container's processes that needs no fork.
bomb='i=0; while test $i -lt 200; do sleep 60 & i=$((i + 1)); done'
count='n=0; for p in /proc/[0-9]*; do n=$((n + 1)); done; echo $n'

test_expect_success 'pids limit: a fork loop is held to the limit' '
	as_alice tk-run --rm --pids-max 16 -e "BOMB=$bomb" bb sh -c "sh -c \"\$BOMB\" 2>/dev/null; $count" >out 2>err &&
	n=$(cat out) &&
	echo "$n processes" &&
	test "$n" -ge 10 && test "$n" -le 16 &&
	as_alice tk-run --rm -e "BOMB=$bomb" bb sh -c "sh -c \"\$BOMB\" 2>/dev/null; $count" >out 2>err &&
	echo "without the limit: $(cat out) processes" &&
	test "$(cat out)" -ge 190
'

# busy_usec NAME SECS TK-RUN-ARGS...: the CPU time (from the cgroup, by
# tk-stats) of container NAME running a busy loop for SECS seconds. The
# loop waits for SIGUSR1, so the CPU the container's set-up and start took
# is read first and left out (under qemu's TCG that is a good part of a
# second).
busy='go=; trap "go=1" USR1; touch /ready; while test -z "$go"; do sleep 0.1; done; timeout $SECS sh -c "while :; do :; done"; touch /busy-done; exec sleep 300'
cpu_usec_of() {
	as_alice tk-stats -o json "$1" | sed -n "s/.*\"cpu_usec\":\([0-9]*\).*/\1/p"
}
busy_usec() {
	_nm=$1
	_secs=$2
	shift 2
	start_bg "$_nm" "$@" -e "SECS=$_secs" -e "BUSY=$busy" bb sh -c "eval \"\$BUSY\"" &&
	test_wait_until 60 "test -e $(ct_upper)/ready" &&
	_u0=$(cpu_usec_of "$_nm") &&
	kill -USR1 "$cpid" &&
	test_wait_until 60 "test -e $(ct_upper)/busy-done" &&
	_u1=$(cpu_usec_of "$_nm") &&
	test -n "$_u0" && test -n "$_u1" &&
	echo $((_u1 - _u0)) >"$_nm.usec" &&
	stop_bg "$_nm"
}

# The quota is a ceiling, checked on every attempt. The lower bound needs a
# machine that can give the loop a whole CPU: an attempt whose unlimited
# reference run (just before) got less than 90% of one says nothing about
# it, and one that the host's load starved after its reference was taken is
# tried again, at most three times in all.
cpu_quota_attempt() {
	busy_usec ref 2 --cgroups enabled &&
	busy_usec cpu 4 --cpu-quota 50 &&
	ref=$(cat ref.usec) &&
	usec=$(cat cpu.usec) &&
	echo "unlimited: $ref us in 2 s; --cpu-quota 50: $usec us in 4 s" &&
	test "$usec" -le 2300000 || return 2
	if test "$ref" -lt 1800000; then
		echo "machine too busy for the lower bound"
	elif test "$usec" -lt 1700000; then
		return 1
	fi
}
test_expect_success 'cpu quota: a busy loop gets 50% of a CPU (within 15%)' '
	for try in 1 2 3; do
		cpu_quota_attempt && break
		rc=$? && test "$rc" = 1 && test "$try" != 3 || return 1
		echo "below the lower bound: trying again"
	done
'

test_expect_success 'cpu: --cpus 1.5 and --cpu-weight are written as asked, --cpuset-cpus holds' '
	start_bg knobs --cpus 1.5 --cpu-weight 200 --cpuset-cpus 0 bb sleep 300 &&
	if test -n "$CGV2"; then
		d=$(ct_cgroup_dir "$cpid" "") &&
		echo "150000 100000" >expect && test_cmp expect "$d/cpu.max" &&
		echo 200 >expect && test_cmp expect "$d/cpu.weight" &&
		echo 0 >expect && test_cmp expect "$d/cpuset.cpus"
	else
		d=$(ct_cgroup_dir "$cpid" cpu) &&
		echo 150000 >expect && test_cmp expect "$d/cpu.cfs_quota_us" &&
		echo 100000 >expect && test_cmp expect "$d/cpu.cfs_period_us" &&
		echo $((2 + (199 * 262142) / 9999)) >expect && test_cmp expect "$d/cpu.shares" &&
		d=$(ct_cgroup_dir "$cpid" cpuset) &&
		echo 0 >expect && test_cmp expect "$d/cpuset.cpus"
	fi &&
	grep "^Cpus_allowed_list:[[:space:]]*0\$" /proc/$cpid/status &&
	stop_bg knobs
'

test_expect_success 'memory: --memory-swap-max is written as asked' '
	start_bg swap -m 64M --memory-swap-max 32M bb sleep 300 &&
	if test -n "$CGV2"; then
		d=$(ct_cgroup_dir "$cpid" "") &&
		echo $((32 << 20)) >expect && test_cmp expect "$d/memory.swap.max"
	else
		d=$(ct_cgroup_dir "$cpid" memory) &&
		echo $((96 << 20)) >expect && test_cmp expect "$d/memory.memsw.limit_in_bytes"
	fi &&
	stop_bg swap
'

if test -n "$CGV2"; then
test_expect_success 'cgroup v2: --memory-high, --memory-min, --memory-low are written' '
	start_bg high --memory-high 48M --memory-min 8M --memory-low 16M bb sleep 300 &&
	d=$(ct_cgroup_dir "$cpid" "") &&
	echo $((48 << 20)) >expect && test_cmp expect "$d/memory.high" &&
	echo $((8 << 20)) >expect && test_cmp expect "$d/memory.min" &&
	echo $((16 << 20)) >expect && test_cmp expect "$d/memory.low" &&
	stop_bg high
'
if test -n "$CG_ABS_BASE"; then
test_expect_success 'cgroup v2: a relative parent below our cgroup (it holds processes): a limit is refused, naming the fix' '
	conf "cgroup-parent = tkrel" &&
	test_status 125 as_alice tk-run --rm -m 64M bb true 2>err &&
	conf "cgroup-parent = $CG_ABS_BASE" &&
	test_one_line_error err tk-helper &&
	test_grep "memory-max: cgroup v2 passes no memory controller below your cgroup $(sed -n "s/^0:://p" /proc/self/cgroup), as it holds processes; the fix: an absolute cgroup-parent" err &&
	test_must_fail test -e "$(own_cgroup_dir unified)/tkrel"
'
fi
# memory.high: past it the kernel reclaims the cgroup's memory, and throttles
# the allocator while it cannot. The VM has no swap, so anonymous memory
# past it could only be throttled (seconds per 256K under TCG); page cache
# can be reclaimed. The payload writes a file four times memory.high and
# lives; the cgroup's peak stays near memory.high (without the limit it
# holds the whole file: 70M in the VM), and memory.events counts the
# times it went over high, never max.
test_expect_success 'cgroup v2: past --memory-high memory is reclaimed and the payload lives' '
	start_bg high2 --memory-high 16M bb sh -c \
		"dd if=/dev/zero of=/f bs=1M count=64 2>/dev/null; echo \$? \$(wc -c </f) >/written; exec sleep 300" &&
	test_wait_until 120 "test -s $(ct_upper)/written" &&
	echo "0 $((64 << 20))" >expect &&
	test_cmp expect "$(ct_upper)/written" &&
	d=$(ct_cgroup_dir "$cpid" "") &&
	high=$(sed -n "s/^high //p" "$d/memory.events") &&
	max=$(sed -n "s/^max //p" "$d/memory.events") &&
	if test -e "$d/memory.peak"; then peak=$(cat "$d/memory.peak"); else peak=$(cat "$d/memory.current"); fi &&
	echo "64 MiB written at --memory-high 16M: peak $peak bytes, over high $high times" &&
	test "$high" -gt 0 && test "$max" = 0 &&
	test "$peak" -le $((24 << 20)) &&
	stop_bg high2
'
else
test_expect_success 'cgroup v1: knobs without an equivalent are refused, nothing left' '
	for f in "--memory-high 64M" "--memory-min 8M" "--memory-low 8M" "--memmin 8M"; do
		test_status 125 as_alice tk-run --rm $f bb true 2>err &&
		test_one_line_error err tk-helper &&
		test_grep "no equivalent on cgroup v1" err || return 1
	done &&
	test_status 125 as_alice tk-run --rm --memory-swap-max 8M bb true 2>err &&
	test_grep "needs --memory-max" err &&
	check_no_cgroups
'
fi

if have_loop; then
# real_ms FILE: the wall time busybox time wrote to FILE ("real 0m 4.01s").
real_ms() {
	awk '$1 == "real" { printf "%d\n", ($2 + 0) * 60000 + ($3 + 0) * 1000 }' "$1"
}

test_expect_success 'io: writes to the store disk are held near --io-write-bps (within 25%)' '
	make_loop_store &&
	as_loop tk-run --rm --io-write-bps 4M bb time dd if=/dev/zero of=/f bs=1M count=16 oflag=direct 2>err &&
	ms=$(real_ms err) &&
	echo "16 MiB at 4 MiB/s: $ms ms" &&
	test $ms -ge 3000 && test $ms -le 5000
'

test_expect_success 'io: reads are held near --ioread, the seed name (within 25%)' '
	as_loop tk-run --rm --ioread 8M bb sh -c "dd if=/dev/zero of=/g bs=1M count=32 oflag=direct 2>/dev/null; time dd if=/g of=/dev/null bs=1M iflag=direct" 2>err &&
	ms=$(real_ms err) &&
	echo "32 MiB read at 8 MiB/s: $ms ms" &&
	test $ms -ge 3000 && test $ms -le 5000
'
fi

test_expect_success 'the seed names are aliases of the long ones' '
	start_bg seed --memmax 64M --cpuquota 25 --iowrite 1M --ioread 2M bb sleep 300 &&
	if test -n "$CGV2"; then
		d=$(ct_cgroup_dir "$cpid" "") &&
		echo $((64 << 20)) >expect && test_cmp expect "$d/memory.max" &&
		echo "25000 100000" >expect && test_cmp expect "$d/cpu.max" &&
		grep "rbps=2097152 wbps=1048576" "$d/io.max"
	else
		d=$(ct_cgroup_dir "$cpid" memory) &&
		echo $((64 << 20)) >expect && test_cmp expect "$d/memory.limit_in_bytes" &&
		d=$(ct_cgroup_dir "$cpid" cpu) &&
		echo 25000 >expect && test_cmp expect "$d/cpu.cfs_quota_us" &&
		d=$(ct_cgroup_dir "$cpid" blkio) &&
		grep " 1048576\$" "$d/blkio.throttle.write_bps_device" &&
		grep " 2097152\$" "$d/blkio.throttle.read_bps_device"
	fi &&
	stop_bg seed
'

test_expect_success 'bad limit values: one line naming the flag and the range, 125, nothing made (attack 22)' '
	ls "$(tk_user_home alice)/tk/containers" >cts.before &&
	long=$(printf "%010240d" 1) &&
	for v in -1 0 18446744073709551616 1e9 "100
max" " 100" "" "$long" 1.5G 10X 0x10 "64M " 010; do
		test_status 125 as_alice tk-run --rm --memory-max "$v" bb true 2>err &&
		test_one_line_error err tk-run &&
		test_grep "memory-max" err &&
		test_grep "1M to 1P" err || return 1
	done &&
	for f in "--cpu-quota 0" "--cpu-quota 101" "--cpuquota -5" "--cpus 0" "--cpus 1.234" \
		 "--cpus 2000" "--cpu-weight 0" "--cpu-weight 10001" "--pids-max 0" \
		 "--pids-max 4194305" "--cpuset-cpus 3-1" "--cpuset-cpus a" "--io-device /etc/passwd" \
		 "--io-read-bps 0" "--memory-min 2P"; do
		test_status 125 as_alice tk-run --rm $f bb true 2>err &&
		test_one_line_error err tk-run || return 1
	done &&
	test_status 125 as_alice tk-run --rm --cpus 1 --cpu-quota 50 bb true 2>err &&
	test_one_line_error err tk-run &&
	test_status 125 as_alice tk-run --rm -m 64M --memmax 64M bb true 2>err &&
	test_grep "given twice" err &&
	ls "$(tk_user_home alice)/tk/containers" >cts.after &&
	test_cmp cts.before cts.after &&
	check_no_cgroups
'

test_expect_success 'the helper checks the values again, and knows no knob names (attacks 22, 23)' '
	cid=$(cat "$(tk_user_home alice)/tk/containers"/*/container.json | sed -n "s/.*\"id\":\"\([0-9a-f]*\)\".*/\1/p" | head -1) &&
	for a in "--memory-max -1" "--memory-max 0" "--memory-max 18446744073709551616" \
		 "--pids-max 1e9" "--cpu-max 999" "--cpu-weight 10001" "--cpuset-cpus 0-" \
		 "--io-device 1:2:3" "--memory-max 1048576 --memory-max 1048576"; do
		test_status 2 as_alice "$TK_HELPER" start $a $cid 2 2>err &&
		test_one_line_error err tk-helper || return 1
	done &&
	for k in --memory.max --cgroup.procs --release_agent --devices.allow --../cgroup.procs; do
		test_status 2 as_alice "$TK_HELPER" start $k 1 $cid 2 2>err &&
		test_grep "unknown option" err || return 1
	done &&
	check_no_cgroups
'

test_expect_success 'nothing can raise the limits: not the container, not its owner (attack 24)' '
	start_bg locked -m 64M --pids-max 20 bb sh -c "sleep 300" &&
	as_alice tk-run --rm bb sh -c "mkdir -p /m; mount -t cgroup -o memory none /m || mount -t cgroup -o none,name=x none /m || mount -t cgroup2 none /m || echo refused" >out 2>&1 &&
	test_grep refused out &&
	for c in $CG_CTRLS; do
		d=$(ct_cgroup_dir "$cpid" $c) &&
		up=$(dirname "$d") &&
		test_must_fail as_alice sh -c "echo $cpid >$up/cgroup.procs" &&
		test_must_fail as_alice sh -c "echo $cpid >$(own_cgroup_dir $c)/cgroup.procs" &&
		test_must_fail as_alice mkdir "$d/sub" || return 1
	done &&
	if test -n "$CGV2"; then knob=memory.max; else knob=memory.limit_in_bytes; fi &&
	d=$(ct_cgroup_dir "$cpid" memory) &&
	test_must_fail as_alice sh -c "echo 999999999 >$d/$knob" &&
	echo $((64 << 20)) >expect && test_cmp expect "$d/$knob" &&
	stop_bg locked
'

test_expect_success 'a killed tk-run leaves no cgroup: the reaper removes it' '
	start_bg killed -m 64M bb sleep 300 &&
	parent=$(ps -o ppid= -p "$cpid" | tr -d " ") &&
	kill -9 "$parent" &&
	for c in $CG_CTRLS; do
		test_wait_until 20 "! test -e $(cg_base $c)/$alice_uid/$cid" || return 1
	done
'

test_expect_success 'an empty cgroup left by a killed reaper goes with the next run' '
	for c in $CG_CTRLS; do
		mkdir "$(cg_base $c)/$alice_uid/deadbeef" || return 1
	done &&
	as_alice tk-run --rm --cgroups enabled bb true &&
	for c in $CG_CTRLS; do
		test_must_fail test -e "$(cg_base $c)/$alice_uid/deadbeef" || return 1
	done
'

test_expect_success 'tk-stats: a table, json, and an error for a container that is not running' '
	start_bg st -m 64M --pids-max 30 bb sleep 300 &&
	as_alice tk-stats >out &&
	test_grep "^CONTAINER ID" out &&
	test_grep "64MiB" out &&
	as_alice tk-stats -o json st >json &&
	test_grep "\"memory_max\":67108864" json &&
	test_grep "\"pids\":1," json &&
	test_grep "\"pids_max\":30" json &&
	stop_bg st &&
	test_status 1 as_alice tk-stats st 2>err &&
	test_one_line_error err tk-stats
'

test_expect_success 'no leaks: mounts, containers of the runs with --rm, cgroups' '
	check_no_cgroups
'

test_done
