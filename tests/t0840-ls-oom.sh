#!/bin/sh
test_description='status oom-killed: tk-ls (table, JSON, --exited) and tk-inspect agree'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq ROOT || test_skip_all "needs root (test users, a setuid helper, cgroups)"
test_have_prereq BUSYBOX || test_skip_all "needs a static /bin/busybox (busybox-static)"
test_have_prereq USERNS || test_skip_all "unprivileged user namespaces are disabled"
test_have_prereq JQ || test_skip_all "needs jq"

. "$TEST_DIRECTORY/lib/cgroup.sh"

as_alice() { tk_as alice "$@"; }

# ls_json NAME: alice's tk-ls -a -o json line of container NAME.
ls_json() {
	as_alice tk-ls -a -o json | jq -c "select(.name == \"$1\")"
}

# Allocates past a 32M limit the first time; exits 0 the next.
EAT='test -e /ran && exit 0; touch /ran; x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived'

test_expect_success 'setup: helper, alice (member of tk), a busybox image' '
	cg_setup_helper t0840 &&
	tk_add_user alice &&
	alice_uid=$(tk_user_uid alice) &&
	forget_uid_cgroups $alice_uid &&
	tk_build_busybox_tar "$TRASH/bb.tar.gz" &&
	chmod 644 "$TRASH/bb.tar.gz" &&
	as_alice tk-pull -q --name bb "tar:$TRASH/bb.tar.gz" >/dev/null
'
test_atexit 'tk_as alice sh -c "tk-ls -aq | tk-rm -f -"'

test_expect_success 'killed by its memory limit: status oom-killed in tk-ls -o json' '
	test_status 137 as_alice tk-run --name oom -m 32M bb sh -c "$EAT" >out 2>err &&
	test_grep -v survived out &&
	ls_json oom >json &&
	test_line_count = 1 json &&
	jq -e ".status == \"oom-killed\" and .oom_killed == true and .exit_code == 137 and .pid == null" json
'

test_expect_success 'tk-inspect says the same' '
	as_alice tk-inspect -c oom >doc &&
	jq -e ".state.status == \"oom-killed\" and .state.oom_killed == true" doc &&
	jq -e ".state.running == false and .state.exit_code == 137 and .state.finished_at != null" doc
'

test_expect_success 'the table shows OOM-killed with the code' '
	as_alice tk-ls -a >ls &&
	test_grep "OOM-killed (137) .* oom\$" ls
'

test_expect_success 'an exit under the limit is exited, not oom-killed' '
	test_status 3 as_alice tk-run --name fine -m 64M bb sh -c "x=\$(head -c 1000000 /dev/zero | tr \"\\0\" a); exit 3" &&
	ls_json fine >json &&
	jq -e ".status == \"exited\" and .oom_killed == false and .exit_code == 3" json &&
	as_alice tk-inspect -c fine | jq -e ".state.status == \"exited\" and .state.oom_killed == false" &&
	as_alice tk-ls -a >ls &&
	test_grep "Exited (3) .* fine\$" ls
'

test_expect_success 'a running container and a stopped one keep their statuses' '
	as_alice tk-run -d --name up bb sleep 300 >/dev/null &&
	as_alice tk-run -d --name up2 bb sleep 300 >/dev/null &&
	as_alice tk-stop -t 0 up2 >/dev/null &&
	ls_json up | jq -e ".status == \"running\" and .oom_killed == false" &&
	as_alice tk-inspect -c up | jq -e ".state.status == \"running\"" &&
	test_wait_until 20 "ls_json up2 | jq -e \".status == \\\"exited\\\"\" >/dev/null" &&
	ls_json up2 | jq -e ".oom_killed == false"
'

test_expect_success '--exited lists the oom-killed with the exited; --running neither' '
	as_alice tk-ls -q --exited | sort >exited &&
	for n in oom fine up2; do ls_json $n | jq -r .id; done | sort >expect &&
	test_cmp expect exited &&
	as_alice tk-ls -q --running >running &&
	ls_json up | jq -r .id >expect &&
	test_cmp expect running &&
	as_alice tk-ls --exited -o json >json &&
	test_line_count = 3 json &&
	jq -c "select(.name == \"oom\")" json >line &&
	jq -e ".status == \"oom-killed\"" line
'

test_expect_success 'the status is the last run'"'"'s: tk-start -a that ends well is exited' '
	as_alice tk-start -a oom >out 2>err &&
	test_grep -v "memory limit" err &&
	ls_json oom | jq -e ".status == \"exited\" and .oom_killed == false and .exit_code == 0" &&
	as_alice tk-inspect -c oom | jq -e ".state.status == \"exited\" and .state.oom_killed == false"
'

test_expect_success 'a detached run killed by its limit is oom-killed too (tk-monitor)' '
	as_alice tk-run -d --name oomd -m 32M bb sh -c "$EAT" >/dev/null &&
	test_wait_until 120 "as_alice tk-inspect -c oomd | jq -e \".state.status == \\\"oom-killed\\\"\" >/dev/null" &&
	ls_json oomd | jq -e ".status == \"oom-killed\" and .exit_code == 137"
'

test_expect_success 'tk-ls -q --exited | tk-rm - removes exactly the exited and oom-killed ones' '
	as_alice sh -c "tk-ls -q --exited | tk-rm -" >/dev/null &&
	as_alice tk-ls -a -o json | jq -r .name >left &&
	echo up >expect &&
	test_cmp expect left
'

test_done
