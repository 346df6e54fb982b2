#!/bin/sh
test_description='a cgroup only when needed: a container without limits stays in its caller'"'"'s'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq ROOT || test_skip_all "needs root (test users, a setuid helper, cgroups)"
test_have_prereq BUSYBOX || test_skip_all "needs a static /bin/busybox (busybox-static)"
test_have_prereq USERNS || test_skip_all "unprivileged user namespaces are disabled"

. "$TEST_DIRECTORY/lib/cgroup.sh"

as_alice() { tk_as alice "$@"; }

test_expect_success 'setup: helper, alice (member of tk), a busybox image' '
	cg_setup_helper t0830 &&
	tk_add_user alice &&
	alice_uid=$(tk_user_uid alice) &&
	forget_uid_cgroups $alice_uid &&
	tk_build_busybox_tar "$TRASH/bb.tar.gz" &&
	chmod 644 "$TRASH/bb.tar.gz" &&
	as_alice tk-pull -q --name bb "tar:$TRASH/bb.tar.gz" >/dev/null
'
test_atexit 'tk_as alice sh -c "tk-ls -q | tk-rm -f -"'

test_expect_success 'no limit: no cgroup is made, the payload is in its caller'"'"'s' '
	start_bg plain bb sh -c "cat /proc/self/cgroup; exec sleep 300" &&
	for c in $CG_CTRLS; do
		test "$(ct_cgroup_dir "$cpid" $c)" = "$(own_cgroup_dir $c)" || return 1
	done &&
	check_no_cgroups &&
	test_wait_until 10 "grep -q : plain.out" &&
	{ grep -v "^[0-9]*:[^:]*:/\$" plain.out >bad; test_line_count = 0 bad; }
'

test_expect_success 'no limit: tk-stats says there is no cgroup, with no figures' '
	as_alice tk-stats plain >out &&
	test_grep "no cgroup" out &&
	as_alice tk-stats -o json plain >json &&
	test_grep "\"cgroup\":false" json &&
	test_grep "\"memory_bytes\":-1" json &&
	stop_bg plain &&
	check_no_cgroups
'

test_expect_success '--cgroups enabled: a cgroup of its own without a limit, and figures' '
	start_bg counted --cgroups enabled bb sleep 300 &&
	for c in $CG_CTRLS; do
		test "$(ct_cgroup_dir "$cpid" $c)" = "$(cg_base $c)/$alice_uid/$cid" || return 1
	done &&
	as_alice tk-stats -o json counted >json &&
	test_grep "\"cgroup\":true" json &&
	test_grep "\"pids\":1," json &&
	stop_bg counted &&
	check_no_cgroups
'

test_expect_success 'a limit still gets its cgroup' '
	start_bg limited --pids-max 20 bb sleep 300 &&
	d=$(ct_cgroup_dir "$cpid" pids) &&
	test "$d" = "$(cg_base pids)/$alice_uid/$cid" &&
	echo 20 >expect && test_cmp expect "$d/pids.max" &&
	stop_bg limited &&
	check_no_cgroups
'

test_expect_success 'tk-start of a --cgroups enabled container gets a cgroup again' '
	as_alice tk-run -d --name again --cgroups enabled bb sleep 300 >/dev/null &&
	as_alice tk-stop -t 0 again >/dev/null &&
	as_alice tk-start again >/dev/null &&
	p=$(as_alice tk-inspect -c again | jq -r .state.pid) &&
	test "$(ct_cgroup_dir "$p" pids)" = "$(cg_base pids)/$alice_uid/$(as_alice tk-inspect -c again | jq -r .id)" &&
	as_alice tk-rm -f again >/dev/null &&
	check_no_cgroups
'

test_expect_success 'a bad --cgroups value: one-line error, 125, nothing left' '
	test_status 125 as_alice tk-run --rm --cgroups always bb true 2>err &&
	test_one_line_error err tk-run &&
	test_grep "\-\-cgroups" err &&
	test_grep "enabled" err &&
	check_no_cgroups
'

test_expect_success 'the helper takes only --cgroups enabled' '
	test_status 2 as_alice "$TK_HELPER" start --cgroups auto 0123456789abcdef 2 2>err &&
	test_grep "cgroups takes" err
'

test_done
