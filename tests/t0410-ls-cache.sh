#!/bin/sh
test_description='tk-ls -a keeps a cache of what it read, and it never makes tk-ls lie'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq ROOT || test_skip_all "needs root (installs a setuid helper to run containers)"
test_have_prereq BUSYBOX || test_skip_all "needs a static /bin/busybox (busybox-static)"
test_have_prereq JQ || test_skip_all "needs jq"

C=ls-cache   # in the store

# truth: tk-ls -a -o json with the cache out of the way (it is read by no
# one and written again afterwards).
truth() {
	mv "$TK_ROOT/$C" "$TRASH/cache.aside" 2>/dev/null
	tk-ls -a -o json
	_r=$?
	rm -f "$TK_ROOT/$C"
	mv "$TRASH/cache.aside" "$TK_ROOT/$C" 2>/dev/null
	return $_r
}

json_of() {
	tk-ls -a -o json | jq -c --arg n "$1" 'select(.name == $n)'
}

# pick NAME FILE: the line of container NAME in a tk-ls -o json output.
pick() {
	jq -c --arg n "$1" 'select(.name == $n)' "$2"
}

test_expect_success 'setup: helper, image, containers that exited 3 and 0 (detached), one running' '
	tk_setup_helper &&
	tk_busybox_image busybox &&
	test_status 3 tk-run --name three "$IMG" sh -c "exit 3" &&
	zid=$(tk-run -d --name zero "$IMG" true) &&
	tk-logs -f "$zid" &&
	m=$(marker lsc) &&
	test_atexit "kill_marker $m" &&
	tk-run -d --name up "$IMG" sh -c "sleep 1000; : $m" >/dev/null
'

test_expect_success 'tk-ls -a writes the cache, the caller'"'"'s, mode 600, nothing left in tmp/' '
	test_must_fail test -e "$TK_ROOT/$C" &&
	tk-ls -a >/dev/null &&
	test -f "$TK_ROOT/$C" &&
	test "$(stat -c %u:%a "$TK_ROOT/$C")" = "$(id -u):600" &&
	test -z "$(tmp_left "$TK_ROOT")"
'

test_expect_success 'with the cache, the listing is what it is without one' '
	tk-ls -a -o json >with &&
	truth >without &&
	test_cmp without with &&
	test_line_count = 3 with &&
	json_of three | jq -e ".status == \"exited\" and .exit_code == 3" &&
	json_of up | jq -e ".status == \"running\" and .pid > 0"
'

test_expect_success 'a new run: its status is read again, not the cached one' '
	test_status 3 tk-run --name again "$IMG" sh -c "test -e /ran && exit 5; touch /ran; exit 3" &&
	json_of again | jq -e ".exit_code == 3" &&
	test_status 5 tk-start -a again &&
	json_of again | jq -e ".status == \"exited\" and .exit_code == 5" &&
	tk-ls -a >table &&
	test_grep "Exited (5) .* again\$" table
'

test_expect_success 'the status gone (a reboot): exited, status unknown, not the cached one' '
	json_of zero | jq -e ".exit_code == 0" &&
	id=$(json_of zero | jq -r .id) &&
	rm "$TK_ROOT/containers/$id/exit" &&
	json_of zero | jq -e ".status == \"exited\" and .exit_code == null" &&
	tk-ls -a >table &&
	test_grep "Exited (unknown) .* zero\$" table
'

# A record naming a live process with its start time is what a running
# container is; whatever the cache says, tk-ls must believe the record.
test_expect_success 'running is never cached: a record naming a live process is running' '
	id=$(json_of three | jq -r .id) &&
	{ sleep 1000 & sp=$!; } &&
	test_atexit "kill $sp 2>/dev/null" &&
	rec=/run/tk/$(id -u)/$id &&
	test_atexit "rm -f $rec" &&
	st=$(sed "s/.*) //" /proc/$sp/stat | cut -d" " -f20) &&
	echo "$sp $st" >"$rec" &&
	json_of three | jq -e ".status == \"running\" and .pid == $sp" &&
	kill $sp &&
	{ wait $sp; true; } &&
	test_wait_until 10 "json_of three | jq -e \".status == \\\"exited\\\"\" >/dev/null" &&
	json_of three | jq -e ".exit_code == 3" &&
	rm -f "$rec"
'

test_expect_success 'a running container that is killed shows exited with its status' '
	json_of up | jq -e ".status == \"running\"" &&
	tk-stop -t 0 up >/dev/null &&
	test_wait_until 20 "json_of up | jq -e \".status == \\\"exited\\\"\" >/dev/null" &&
	json_of up | jq -e ".exit_code != null"
'

test_expect_success 'a damaged cache is ignored, and replaced' '
	truth >expect &&
	cp "$TK_ROOT/$C" "$TRASH/good" &&
	size=$(stat -c %s "$TRASH/good") &&
	for n in 0 5 14 20 100 200 $((size / 2)) $((size - 1)); do
		head -c $n "$TRASH/good" >"$TK_ROOT/$C" &&
		tk-ls -a -o json >out &&
		test_cmp expect out || { echo "cut at $n" >&2; return 1; }
	done &&
	head -c 4000 /dev/urandom >"$TK_ROOT/$C" &&
	tk-ls -a -o json >out &&
	test_cmp expect out &&
	{ printf "tk ls-cache 1\n"; head -c 4000 /dev/urandom; } >"$TK_ROOT/$C" &&
	tk-ls -a -o json >out &&
	test_cmp expect out &&
	head -c 14 "$TK_ROOT/$C" >magic &&
	printf "tk ls-cache 2\n" >expect &&
	test_cmp expect magic
'

test_expect_success 'a cache that is a symlink is not followed, and is replaced' '
	truth >expect &&
	cp /etc/hostname "$TRASH/target" &&
	cp "$TRASH/target" "$TRASH/target.orig" &&
	rm "$TK_ROOT/$C" &&
	ln -s "$TRASH/target" "$TK_ROOT/$C" &&
	tk-ls -a -o json >out &&
	test_cmp expect out &&
	test_cmp "$TRASH/target.orig" "$TRASH/target" &&
	test -f "$TK_ROOT/$C" && ! test -L "$TK_ROOT/$C"
'

test_expect_success 'a removed container leaves the listing and the cache' '
	id=$(json_of zero | jq -r .id) &&
	tk-rm zero &&
	tk-ls -a -q >all &&
	test_grep -v "$id" all &&
	! grep -a -q "$id" "$TK_ROOT/$C" &&
	truth >expect &&
	tk-ls -a -o json >out &&
	test_cmp expect out
'

test_expect_success '--exited lists the same with and without the cache' '
	tk-ls -q --exited | sort >with &&
	rm "$TK_ROOT/$C" &&
	tk-ls -q --exited | sort >without &&
	test_cmp without with &&
	test_line_count = 3 with
'

# A member of tk has a record directory of her own, which nothing else
# changes: after a quiet second the cache keeps its stamp, and tk-ls opens
# no record of a container that had none. A record added since must be
# seen all the same.
test_expect_success USERNS 'nothing changed: not written again; a record added since is seen' '
	tk_add_user alice &&
	alice_uid=$(tk_user_uid alice) &&
	ahome=$(tk_user_home alice) &&
	tk_build_busybox_tar "$TRASH/bb.tar.gz" &&
	chmod 644 "$TRASH/bb.tar.gz" &&
	tk_as alice tk-pull -q --name bb "tar:$TRASH/bb.tar.gz" >/dev/null &&
	test_status 3 tk_as alice tk-run --name a3 bb sh -c "exit 3" &&
	tk_as alice tk-run --name a0 bb true &&
	id=$(tk_as alice tk-ls -a -q | while read -r i; do
		tk_as alice tk-inspect -c "$i" | jq -r "select(.name == \"a3\") | .id"; done) &&
	is_hex64 "$id" &&
	rec=/run/tk/$alice_uid/$id &&
	rm -f "$rec" &&   # as the helper sweeps stale records
	sleep 2 &&
	tk_as alice tk-ls -a >/dev/null &&
	i1=$(stat -c %i "$ahome/tk/$C") &&
	tk_as alice tk-ls -a -o json >before &&
	tk_as alice tk-ls --exited >/dev/null &&
	test "$(stat -c %i "$ahome/tk/$C")" = "$i1" &&
	pick a3 before | jq -e ".status == \"exited\" and .id == \"$id\"" &&
	{ sleep 1000 & sp=$!; } &&
	test_atexit "kill $sp 2>/dev/null" &&
	test_atexit "rm -f $rec" &&
	st=$(sed "s/.*) //" /proc/$sp/stat | cut -d" " -f20) &&
	echo "$sp $st" >"$rec" &&
	tk_as alice tk-ls -a -o json >after &&
	pick a3 after | jq -e ".status == \"running\" and .pid == $sp" &&
	pick a0 after | jq -e ".status == \"exited\"" &&
	tk_as alice tk-ls -q >running &&
	test_grep -x "$id" running &&
	kill $sp &&
	{ wait $sp; true; } &&
	test_wait_until 10 "test -z \"\$(tk_as alice tk-ls -q)\"" &&
	tk_as alice tk-ls -a -o json >after &&
	pick a3 after | jq -e ".status == \"exited\" and .exit_code == 3"
'

test_done
