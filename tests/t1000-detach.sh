#!/bin/sh
test_description='tk-run -d, tk-monitor, tk-logs, tk-stop, tk-inspect: detached containers'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq ROOT || test_skip_all "needs root (installs a setuid helper to run containers)"
test_have_prereq BUSYBOX || test_skip_all "needs a static /bin/busybox (busybox-static)"

# A payload is told to stop only once its trap is set: a signal it has no
# handler for yet is dropped (it is pid 1), so each waits for "ready".

# state_of REF: .state.status of tk-inspect.
state_of() {
	tk-inspect -c "$1" | jq -r .state.status
}

monitor_pid_of() {
	cat "$TK_ROOT/containers/$1/monitor"
}

test_expect_success 'setup: helper and image' '
	tk_setup_helper &&
	tk_busybox_image busybox &&
	mounts_snapshot before
'

test_expect_success JQ 'tk-run -d prints the id at once; the container runs' '
	m=$(marker d1) &&
	test_atexit "kill_marker $m" &&
	tk-run -d --name d1 "$IMG" sh -c "sleep 1000; : $m" >out 2>err &&
	test_line_count = 0 err &&
	test_line_count = 1 out &&
	d1=$(cat out) &&
	is_hex64 "$d1" &&
	tk-ls -q >running &&
	test_grep -x "$d1" running &&
	test "$(state_of d1)" = running &&
	test "$(tk-inspect -c d1 | jq -r .state.pid)" -gt 0
'

# (In a SANITIZE=1 build the monitor carries the sanitizers' runtime: its
# size is not checked there.)
test_expect_success 'the monitor is small, the caller, and in a session of its own' '
	mp=$(monitor_pid_of "$d1") &&
	rss=$(sed -n "s/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p" /proc/$mp/status) &&
	say "tk-monitor VmRSS: $rss kB" &&
	{ test -n "$TK_SANFLAGS" || test "$rss" -lt 1024; } &&
	test "$(ps -o sid= -p $mp | tr -d " ")" = "$mp" &&
	test "$(stat -c %u /proc/$mp)" = "$(id -u)"
'

test_expect_success 'logs of a detached container survive its exit, streams apart' '
	id=$(tk-run -d "$IMG" sh -c "echo one; echo two >&2; printf three; exit 4") &&
	test_wait_until 20 "test \"\$(tk-inspect -c $id | jq -r .state.status)\" = exited" &&
	test "$(tk-inspect -c $id | jq -r .state.exit_code)" = 4 &&
	tk-logs "$id" >out 2>err &&
	printf "one\nthree" >expect &&
	test_cmp expect out &&
	echo two >expect.err &&
	test_cmp expect.err err
'

test_expect_success '--tail and --timestamps' '
	id=$(tk-run -d "$IMG" sh -c "for i in 1 2 3 4 5; do echo line\$i; done") &&
	tk-logs -f "$id" >all &&
	test_line_count = 5 all &&
	tk-logs --tail 2 "$id" >out &&
	printf "line4\nline5\n" >expect &&
	test_cmp expect out &&
	tk-logs --tail 0 "$id" >out &&
	test_line_count = 0 out &&
	tk-logs -t --tail 1 "$id" >out &&
	grep -q "^[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9:]\{8\}\.[0-9]\{9\}Z line5$" out
'

test_expect_success 'tk-logs -f follows until the container ends' '
	id=$(tk-run -d "$IMG" sh -c "echo first; read x </dev/null; sleep 1; echo last") &&
	tk-logs -f "$id" >out &&
	printf "first\nlast\n" >expect &&
	test_cmp expect out &&
	test "$(state_of "$id")" = exited
'

test_expect_success 'the log is rotated at --log-size; tk-logs reads both files' '
	id=$(tk-run -d --log-size 4k "$IMG" sh -c "i=0; while test \$i -lt 300; do echo line-\$i; i=\$((i+1)); done") &&
	tk-logs -f "$id" >/dev/null &&
	d=$TK_ROOT/containers/$id &&
	test -f "$d/log.1" &&
	test "$(stat -c %s "$d/log")" -le 4096 &&
	test "$(stat -c %s "$d/log.1")" -le 4096 &&
	tk-logs --tail 1 "$id" >out &&
	echo line-299 >expect &&
	test_cmp expect out
'

test_expect_success JQ 'tk-stop: a payload that handles SIGTERM exits by its handler' '
	id=$(tk-run -d "$IMG" sh -c "trap \"echo bye; exit 3\" TERM; echo ready; sleep 1000 & wait") &&
	test_wait_until 20 "tk-logs $id | grep -q ready" &&
	tk-stop "$id" >out &&
	echo "$id" >expect &&
	test_cmp expect out &&
	test "$(state_of "$id")" = exited &&
	test "$(tk-inspect -c "$id" | jq -r .state.exit_code)" = 3 &&
	tk-logs "$id" >log &&
	test_grep -x bye log
'

test_expect_success JQ 'tk-stop: a payload that ignores SIGTERM ends by SIGKILL after the timeout' '
	id=$(tk-run -d "$IMG" sh -c "trap \"\" TERM; sleep 1000 & wait") &&
	tk-stop -t 1 "$id" &&
	test "$(state_of "$id")" = exited &&
	test "$(tk-inspect -c "$id" | jq -r .state.exit_code)" = 137
'

test_expect_success JQ 'tk-stop -s picks the signal; stopping a stopped container is fine' '
	id=$(tk-run -d "$IMG" sh -c "trap \"exit 5\" USR1; echo ready; sleep 1000 & wait") &&
	test_wait_until 20 "tk-logs $id | grep -q ready" &&
	tk-stop -s SIGUSR1 "$id" &&
	test "$(tk-inspect -c "$id" | jq -r .state.exit_code)" = 5 &&
	tk-stop "$id" >out &&
	test_line_count = 1 out &&
	test_must_fail tk-stop -s NOPE "$id" 2>err &&
	test_grep "^tk-stop: " err
'

test_expect_success 'tk-run -d of a missing command fails like the foreground run' '
	test_status 127 tk-run -d --name missing "$IMG" no-such-command >out 2>err &&
	test_line_count = 0 out &&
	test_grep "no-such-command" err &&
	test "$(state_of missing)" = exited &&
	test_status 125 tk-run -d --name badwd -w /etc/passwd "$IMG" true 2>err &&
	test_grep -i "working directory" err
'

test_expect_success JQ 'tk-inspect: one JSON document with config and state' '
	tk-inspect d1 >doc &&
	jq -e ".id == \"$d1\" and .name == \"d1\" and .image_id == \"$IMG\"" doc &&
	jq -e ".config.argv[0] == \"sh\" and (.config.env | type == \"array\")" doc &&
	jq -e ".state.status == \"running\" and .state.running == true and .state.exit_code == null" doc &&
	jq -e ".state.started_at | test(\"^[0-9-]+T[0-9:]+Z$\")" doc &&
	jq -e ".state.finished_at == null and .state.monitored == true" doc &&
	test_must_fail tk-inspect no-such 2>err &&
	test_grep "^tk-inspect: " err
'

test_expect_success JQ 'a SIGKILLed monitor: tk-ls still tells the truth' '
	m=$(marker orphan) &&
	test_atexit "kill_marker $m" &&
	id=$(tk-run -d "$IMG" sh -c "sleep 1000; : $m") &&
	kill -9 "$(monitor_pid_of "$id")" &&
	test_wait_until 20 "test \"\$(tk-inspect -c $id | jq -r .state.monitored)\" = false" &&
	test "$(state_of "$id")" = running &&
	tk-ls -q >running &&
	test_grep -x "$id" running &&
	tk-stop -t 0 "$id" &&
	test "$(state_of "$id")" = exited &&
	! pgrep -f -- "$m" &&
	tk-ls -q >running &&
	test_grep -v "$id" running
'

test_expect_success JQ 'a SIGKILLed helper: nothing left running, the status recorded' '
	m=$(marker killhelper) &&
	test_atexit "kill_marker $m" &&
	id=$(tk-run -d "$IMG" sh -c "sleep 1000; : $m") &&
	hp=$(pgrep -P "$(monitor_pid_of "$id")") &&
	kill -9 "$hp" &&
	test_wait_until 20 "! pgrep -f -- $m" &&
	test_wait_until 20 "test \"\$(tk-inspect -c $id | jq -r .state.monitored)\" = false" &&
	test "$(state_of "$id")" = exited &&
	test "$(tk-inspect -c "$id" | jq -r .state.exit_code)" = 137
'

test_expect_success JQ 'tk-start, then monitor and helper SIGKILLed: not the last run'"'"'s status' '
	m=$(marker restart) &&
	test_atexit "kill_marker $m" &&
	id=$(tk-run -d "$IMG" sh -c "test -e /ran && { sleep 1000; : $m; }; touch /ran; exit 3") &&
	test_wait_until 20 "test \"\$(state_of $id)\" = exited" &&
	test "$(tk-inspect -c "$id" | jq -r .state.exit_code)" = 3 &&
	tk-ls -a >/dev/null &&
	tk-start "$id" >/dev/null &&
	test "$(state_of "$id")" = running &&
	mp=$(monitor_pid_of "$id") &&
	hp=$(pgrep -P "$mp") &&
	kill -9 "$mp" &&
	test_wait_until 20 "test \"\$(tk-inspect -c $id | jq -r .state.monitored)\" = false" &&
	kill -9 "$hp" &&
	test_wait_until 20 "! pgrep -f -- $m" &&
	test_wait_until 20 "test \"\$(state_of $id)\" = exited" &&
	tk-inspect -c "$id" >doc &&
	jq -e ".state.exit_code == null and .state.oom_killed == false" doc &&
	tk-ls -a -o json | jq -s -e "map(select(.id == \"$id\")) | length == 1 and .[0].exit_code == null"
'

test_expect_success JQ 'a SIGKILLed foreground tk-run: nothing left running, tk-ls says exited' '
	m=$(marker killrun) &&
	test_atexit "kill_marker $m" &&
	{ tk-run --name fg "$IMG" sh -c "sleep 1000; : $m" >/dev/null 2>&1 & fg_pid=$!; } &&
	test_wait_until 20 "test \"\$(tk-inspect -c fg 2>/dev/null | jq -r .state.status)\" = running" &&
	kill -9 "$fg_pid" &&
	test_wait_until 20 "! pgrep -f -- $m" &&
	# pgrep loses a process as it exits, a moment before it is a zombie
	test_wait_until 20 "test \"\$(tk-inspect -c fg | jq -r .state.status)\" = exited" &&
	tk-ls -q >running &&
	test_grep -v "$(tk-inspect -c fg | jq -r .id)" running
'

test_expect_success JQ 'after a reboot (record and status gone) a detached container shows exited' '
	id=$(tk-run -d "$IMG" true) &&
	tk-logs -f "$id" &&
	rm -f "/run/tk/$(id -u)/$id" "$TK_ROOT/containers/$id/exit" &&
	test "$(state_of "$id")" = exited
'

test_expect_success 'tk-ls -q --exited | tk-rm - removes exactly the exited ones' '
	tk-ls -q >running.before &&
	test_line_count = 1 running.before &&
	tk-ls -q --exited >exited &&
	test_line_count -gt 5 exited &&
	tk-ls -q --exited | tk-rm - >removed &&
	test_cmp exited removed &&
	tk-ls -a -q >all &&
	test_cmp running.before all
'

test_expect_success 'tk front door: logs, stop, inspect' '
	tk stop -t 0 d1 >out &&
	test_grep -x d1 out &&
	tk inspect -c d1 >doc &&
	test_grep "\"exited\"" doc &&
	tk logs d1 >out &&
	tk rm d1
'

test_expect_success 'as a member of tk: -d, logs, stop; the monitor is the user' '
	tk_add_user mia &&
	tk_as mia tk-pull -q --name bb "tar:$TRASH/busybox.tar.gz" >out &&
	tk_as mia tk-run -d --name u1 bb sh -c "echo hi-from-mia; sleep 1000" >out 2>err &&
	id=$(cat out) &&
	is_hex64 "$id" &&
	home=$(tk_user_home mia) &&
	mp=$(cat "$home/tk/containers/$id/monitor") &&
	test "$(stat -c %u /proc/$mp)" = "$(tk_user_uid mia)" &&
	grep -q "^CapEff:[[:space:]]*0*$" /proc/$mp/status &&
	rss=$(sed -n "s/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p" /proc/$mp/status) &&
	say "tk-monitor VmRSS (member of tk): $rss kB" &&
	{ test -n "$TK_SANFLAGS" || test "$rss" -lt 1024; } &&
	tk_as mia tk-ls -q >running &&
	test_grep -x "$id" running &&
	tk_as mia tk-stop -t 1 u1 &&
	tk_as mia tk-logs u1 >log &&
	test_grep -x hi-from-mia log &&
	tk_as mia tk-inspect -c u1 >doc &&
	test_grep "\"exit_code\":137" doc &&
	tk_as mia tk-rm u1
'

test_expect_success 'another member cannot stop, inspect or read the logs' '
	tk_add_user noa &&
	tk_as mia tk-run -d --name u2 bb sleep 1000 >out &&
	id=$(cat out) &&
	home=$(tk_user_home mia) &&
	test_must_fail tk_as noa tk-stop --root "$home/tk" u2 2>err &&
	test_must_fail tk_as noa tk-logs --root "$home/tk" u2 2>err &&
	test_must_fail tk_as noa tk-inspect --root "$home/tk" u2 2>err &&
	tk_as mia tk-ls -q >running &&
	test_grep -x "$id" running &&
	tk_as mia tk-rm -f u2
'

test_expect_success 'no leaks' '
	tk-ls -a -q | tk-rm -f - >/dev/null &&
	check_no_leaks before
'

test_done
