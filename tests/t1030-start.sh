#!/bin/sh
test_description='tk-start runs a stopped container again; tk-rm -r takes its image too'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq ROOT || test_skip_all "needs root (installs a setuid helper to run containers)"
test_have_prereq BUSYBOX || test_skip_all "needs a static /bin/busybox (busybox-static)"
test_have_prereq JQ || test_skip_all "needs jq"

state_of() {
	tk-inspect -c "$1" | jq -r .state.status
}

test_expect_success 'setup: helper and image' '
	tk_setup_helper &&
	tk_busybox_image busybox &&
	mounts_snapshot before
'

test_expect_success 'start after stop runs the same command, on the changed root filesystem' '
	m=$(marker again) &&
	test_atexit "kill_marker $m" &&
	tk-run -d --name again --pids-max 40 -m 48M --cpu-quota 50 "$IMG" sh -c "echo run-\$(cat /count 2>/dev/null); echo x >>/count; echo ready; sleep 1000; : $m" >/dev/null &&
	test_wait_until 20 "tk-logs again | grep -q ready" &&
	tk-stop -t 0 again >/dev/null &&
	test "$(state_of again)" = exited &&
	tk-start again >out &&
	echo again >expect &&
	test_cmp expect out &&
	test "$(state_of again)" = running &&
	test_wait_until 20 "test \$(tk-logs again | grep -c ready) = 2" &&
	tk-logs again >log &&
	test_grep -x "run-" log &&
	test_grep -x "run-x" log &&
	tk-inspect -c again | jq -e ".config.argv[0] == \"sh\""
'

# knob PID CTRL V1-FILE V2-FILE: a knob of the cgroup of process PID.
knob() {
	if test -d "/sys/fs/cgroup/$2"; then
		_cg=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++)
			if (a[i] == c) print $3 }' "/proc/$1/cgroup") &&
		test -n "$_cg" && cat "/sys/fs/cgroup/$2$_cg/$3"
	else
		_cg=$(sed -n "s/^0:://p" "/proc/$1/cgroup") &&
		test -n "$_cg" && cat "/sys/fs/cgroup$_cg/$4"
	fi
}

test_expect_success 'the limits it was created with hold again' '
	p=$(tk-inspect -c again | jq -r .state.pid) &&
	test "$(knob $p pids pids.max pids.max)" = 40 &&
	test "$(knob $p memory memory.limit_in_bytes memory.max)" = $((48 << 20)) &&
	knob $p cpu cpu.cfs_quota_us cpu.max >quota &&
	test_grep "^50000\( 100000\)\{0,1\}\$" quota
'

test_expect_success 'tk-start -a of a container with a memory limit: OOM-killed again, and reported' '
	tk-run --name oomer -m 32M "$IMG" sh -c "test -e /ran || { touch /ran; exit 0; }; x=\$(head -c 200000000 /dev/zero | tr \"\\0\" a)" &&
	test "$(tk-inspect -c oomer | jq .state.oom_killed)" = false &&
	test_status 137 tk-start -a oomer 2>err &&
	test_grep "memory limit was reached" err &&
	tk-inspect -c oomer | jq -e ".state.oom_killed == true and .state.exit_code == 137" &&
	tk-ls -a >ls &&
	test_grep "OOM-killed (137).*oomer" ls &&
	tk-rm oomer
'

test_expect_success 'start of a running container leaves it alone' '
	p1=$(tk-inspect -c again | jq -r .state.pid) &&
	tk-start again >out &&
	test_grep -x again out &&
	test "$(tk-inspect -c again | jq -r .state.pid)" = "$p1"
'

test_expect_success 'tk-start -a: in the foreground, with the status' '
	tk-run --name fg "$IMG" sh -c "exit 4" ;
	test_status 4 tk-start -a fg &&
	test_status 2 tk-start -a fg again 2>err
'

test_expect_success 'tk-start of an unknown container fails with a message' '
	test_must_fail tk-start no-such 2>err &&
	test_one_line_error err tk-start
'

test_expect_success 'tk-ls -q --exited | tk-start - starts exactly the exited ones' '
	tk-stop -t 0 again >/dev/null &&
	tk-run --name short "$IMG" true &&
	tk-ls -q --exited | sort >exited &&
	test_line_count = 3 exited &&
	tk-ls -q --exited | tk-start - >started &&
	sort started >started.sorted &&
	test_cmp exited started.sorted &&
	tk-stop -t 0 again >/dev/null
'

test_expect_success 'tk-rm -r removes the image with the last container that uses it' '
	tk-rm -f again fg >/dev/null &&
	tk-ls -a -q >all &&
	test_line_count = 1 all &&
	tk-rm -r short >out &&
	test_grep -x short out &&
	test_grep -x "$IMG" out &&
	tk-ls --images -q >imgs &&
	test_line_count = 0 imgs
'

test_expect_success 'tk-rm -r keeps an image another container still uses' '
	tk_busybox_image busybox &&
	tk-run --name one "$IMG" true &&
	tk-run --name two "$IMG" true &&
	tk-rm -r one >out &&
	test_grep -v "$IMG" out &&
	tk-ls --images -q >imgs &&
	test_grep -x "$IMG" imgs &&
	tk-rm -r two >out &&
	test_grep -x "$IMG" out
'

test_expect_success 'no leaks' '
	check_no_leaks before "$m"
'

test_done
