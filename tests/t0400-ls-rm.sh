#!/bin/sh
test_description='tk-ls and tk-rm: listing, json, names and prefixes, running containers'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq ROOT || test_skip_all "needs root (installs a setuid helper to run containers)"
test_have_prereq BUSYBOX || test_skip_all "needs a static /bin/busybox (busybox-static)"

payload_pid() {
	for _p in $(pgrep -f -- "$1"); do
		_ns=$(sed -n 's/^NSpid:[[:space:]]*//p' "/proc/$_p/status" 2>/dev/null)
		case $_ns in *[[:space:]]1) echo "$_p"; return 0 ;; esac
	done
	return 1
}

# json_of NAME: the tk-ls -a -o json line of container NAME.
json_of() {
	tk-ls -a -o json >all.json &&
	jq -c --arg n "$1" 'select(.name == $n)' all.json
}

test_expect_success 'setup: helper and image' '
	tk_setup_helper &&
	tk_busybox_image busybox &&
	mounts_snapshot before
'

test_expect_success 'an exited container: not in tk-ls, in tk-ls -a' '
	test_status 7 tk-run --name done1 "$IMG" /bin/sh -c "exit 7" &&
	tk-ls -q >running &&
	test_line_count = 0 running &&
	tk-ls -a -q >all &&
	test_line_count = 1 all &&
	id1=$(cat all) &&
	is_hex64 "$id1"
'

test_expect_success 'tk-ls -a (table) shows the name, exited, and the exit code' '
	tk-ls -a >table &&
	test_line_count = 2 table &&
	test_grep done1 table &&
	test_grep -i exited table &&
	test_grep 7 table
'

test_expect_success 'tk-ls -n: no headings' '
	tk-ls -a -n >table &&
	test_line_count = 1 table &&
	test_grep done1 table
'

test_expect_success JQ 'tk-ls -a -o json: every line is an object with all the fields' '
	tk-ls -a -o json >json &&
	test_line_count = 1 json &&
	jq -e "has(\"id\") and has(\"name\") and has(\"image\") and has(\"image_id\") and has(\"command\") and has(\"created\") and has(\"status\") and has(\"exit_code\") and has(\"pid\")" json &&
	test "$(jq -r .id json)" = "$id1" &&
	test "$(jq -r .name json)" = done1 &&
	test "$(jq -r .image_id json)" = "$IMG" &&
	test "$(jq -r .status json)" = exited &&
	test "$(jq -r .exit_code json)" = 7 &&
	jq -e ".created | type == \"number\" or type == \"string\"" json
'

test_expect_success JQ 'a running container: tk-ls lists it, status running, a pid' '
	m=$(marker sleeper) &&
	{ tk-run --name sleeper "$IMG" /bin/sh -c "sleep 1000 & wait" "$m" >/dev/null 2>&1 &
	  sleeper_bg=$! ; } &&
	test_atexit "kill_marker $m" &&
	test_wait_until 20 "payload_pid $m" &&
	test_wait_until 10 "test \$(tk-ls -q | wc -l) = 1" &&
	tk-ls -q >running &&
	test_line_count = 1 running &&
	sleeper_id=$(cat running) &&
	json_of sleeper >j &&
	test "$(jq -r .status j)" = running &&
	test "$(jq -r .pid j)" -gt 0 &&
	test "$(jq -r .exit_code j)" = null
'

test_expect_success 'tk-rm of a running container is refused without -f' '
	test_must_fail tk-rm sleeper 2>err &&
	test_grep "^tk-rm: " err &&
	test_grep -i running err &&
	tk-ls -q >running &&
	test_line_count = 1 running &&
	payload_pid "$m" >/dev/null
'

test_expect_success 'tk-rm -f stops and removes it' '
	tk-rm -f sleeper &&
	test_wait_until 10 "! pgrep -f -- $m" &&
	{ wait $sleeper_bg; status=$?; } &&
	test "$status" = 137 &&
	tk-ls -a -q >all &&
	test_grep -v "$sleeper_id" all &&
	test ! -e "$TK_ROOT/containers/$sleeper_id"
'

test_expect_success 'names resolve, unique id prefixes resolve' '
	tk-run --name byprefix "$IMG" /bin/true &&
	id=$(json_of byprefix | jq -r .id) &&
	is_hex64 "$id" &&
	tk-rm "$(printf %.10s "$id")" &&
	test ! -e "$TK_ROOT/containers/$id" &&
	tk-rm done1 &&
	test ! -e "$TK_ROOT/containers/$id1" &&
	tk-ls -a -q >all &&
	test_line_count = 0 all
'

test_expect_success 'an ambiguous id prefix is refused and removes nothing' '
	i=0 &&
	while test $i -lt 17; do
		tk-run "$IMG" /bin/true || return 1
		i=$((i + 1))
	done &&
	tk-ls -a -q >all &&
	test_line_count = 17 all &&
	c=$(cut -c1 all | sort | uniq -d | head -n 1) &&
	test -n "$c" &&
	test_must_fail tk-rm "$c" 2>err &&
	test_grep "^tk-rm: " err &&
	tk-ls -a -q >after &&
	test_cmp all after
'

test_expect_success 'tk-ls | head -n 1 is quiet' '
	tk-ls -a 2>err | head -n 1 >out &&
	test_line_count = 1 out &&
	test_line_count = 0 err
'

test_expect_success 'tk-ls to a full disk fails' '
	test_must_fail tk-ls -a >/dev/full 2>err &&
	test_grep "^tk-ls: " err
'

test_expect_success 'tk-ls -q -a | tk-rm - removes them all' '
	tk-ls -q -a | tk-rm - >/dev/null &&
	tk-ls -a -q >all &&
	test_line_count = 0 all &&
	test -z "$(ls -A "$TK_ROOT/containers")"
'

test_expect_success 'tk-rm of an unknown container fails with a message' '
	test_must_fail tk-rm no-such-container 2>err &&
	test_grep "^tk-rm: " err &&
	test_grep no-such-container err
'

test_expect_success 'tk-rm goes on past an unknown one, and still fails' '
	tk-run --name keep1 "$IMG" /bin/true &&
	test_must_fail tk-rm no-such-container keep1 2>err &&
	test_grep no-such-container err &&
	tk-ls -a -q >all &&
	test_line_count = 0 all
'

test_expect_success 'a duplicate --name is refused' '
	tk-run --name dup "$IMG" /bin/true &&
	test_status 125 tk-run --name dup "$IMG" /bin/true 2>err &&
	test_grep "^tk-run: " err &&
	test_grep dup err &&
	tk-ls -a -q >all &&
	test_line_count = 1 all &&
	tk-rm dup
'

test_expect_success 'the name is free again once the container is removed' '
	tk-run --rm --name dup "$IMG" /bin/true &&
	tk-run --name dup "$IMG" /bin/true &&
	tk-rm dup
'

test_expect_success 'no leaks' '
	check_no_leaks before
'

test_done
