#!/bin/sh
test_description='tk-run --init: a tiny pid 1 that reaps zombies and forwards signals'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq ROOT || test_skip_all "needs root (installs a setuid helper to run containers)"
test_have_prereq BUSYBOX || test_skip_all "needs a static /bin/busybox (busybox-static)"
test_have_prereq JQ || test_skip_all "needs jq"

# An orphan of the payload: whether pid 1 reaps it (exit 0) or leaves a
# zombie (exit 1), polling for up to 20 s. (busybox sh reaps its orphans
# as pid 1 too, so there is no control without --init here.)
orphan='(true & echo $! >/tmp/p); p=$(cat /tmp/p); i=0
while grep -q "^State:.*Z" /proc/$p/status 2>/dev/null || { test -e /proc/$p && ! grep -q "^State:" /proc/$p/status; }; do
	test $i -ge 200 && exit 1; sleep 0.1; i=$((i+1)); done; test ! -e /proc/$p'

test_expect_success 'setup: helper and image' '
	tk_setup_helper &&
	tk_busybox_image busybox &&
	mounts_snapshot before
'

test_expect_success 'with --init the payload is pid 2, orphans are reaped, the status passes' '
	tk-run --rm --init "$IMG" sh -c "echo \$\$" >out &&
	echo 2 >expect &&
	test_cmp expect out &&
	tk-run --rm --init "$IMG" sh -c "$orphan" &&
	test_status 9 tk-run --rm --init "$IMG" sh -c "exit 9" &&
	test_status 137 tk-run --rm --init "$IMG" sh -c "kill -9 \$\$"
'

test_expect_success 'with --init, SIGTERM from tk-stop reaches a payload without a handler' '
	id=$(tk-run -d --init "$IMG" sleep 1000) &&
	tk-stop "$id" &&
	test "$(tk-inspect -c "$id" | jq -r .state.exit_code)" = 143
'

test_expect_success 'tk-start keeps --init' '
	tk-start "$id" >/dev/null &&
	tk-exec "$id" sh -c "test \$(cat /proc/1/comm) != sleep" &&
	tk-stop "$id" >/dev/null &&
	test "$(tk-inspect -c "$id" | jq -r .state.exit_code)" = 143 &&
	tk-rm "$id" >/dev/null
'

test_expect_success 'no leaks' '
	check_no_leaks before
'

test_done
