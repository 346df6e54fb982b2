#!/bin/sh
test_description='the store and the record directory: modes, leftovers, limits, umask, lookups'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq ROOT || test_skip_all "needs root (creates test users, installs a setuid helper)"
test_have_prereq BUSYBOX || test_skip_all "needs a static /bin/busybox (busybox-static)"
test_have_prereq USERNS || test_skip_all "unprivileged user namespaces are disabled"

as_alice() { tk_as alice "$@"; }

test_expect_success 'setup: helper, users alice and bob, images' '
	tk_setup_helper &&
	tk_add_user alice &&
	tk_add_user bob &&
	alice_uid=$(tk_user_uid alice) &&
	alice_home=$(tk_user_home alice) &&
	rec=/run/tk/$alice_uid &&
	tk_build_busybox_tar "$TRASH/bb.tar.gz" &&
	chmod 644 "$TRASH/bb.tar.gz" &&
	as_alice tk-pull -q --name bb "tar:$TRASH/bb.tar.gz" >/dev/null &&
	tk_busybox_image busybox
'

test_expect_success 'the record directory is root'\''s, mode 0711: searchable, not listable' '
	as_alice tk-run --rm bb /bin/true &&
	test "$(stat -c %u:%a "$rec")" = 0:711 &&
	test "$(stat -c %u:%a /run/tk)" = 0:711 &&
	test_must_fail tk_as bob ls "$rec" 2>err &&
	test_must_fail tk_as bob ls /run/tk 2>err
'

test_expect_success 'a record directory made 0755 by an older tk is made 0711 again' '
	chmod 755 "$rec" /run/tk &&
	as_alice tk-run --rm bb /bin/true &&
	test "$(stat -c %a "$rec")" = 711 &&
	test "$(stat -c %a /run/tk)" = 711
'

test_expect_success 'tk-ls, tk-exec and tk-stop still find running containers through 0711' '
	m=$(marker st1) &&
	test_atexit "kill_marker $m" &&
	id=$(as_alice tk-run -d --name st1 bb sh -c "sleep 1000; : $m") &&
	as_alice tk-ls -q >out &&
	test_grep -x "$id" out &&
	as_alice tk-exec st1 /bin/true &&
	as_alice tk-stop -t 0 st1 &&
	as_alice tk-ls -q >out &&
	test_line_count = 0 out &&
	as_alice tk-ls -q --exited >out &&
	test_grep -x "$id" out
'

test_expect_success 'a temporary record left by a killed run is swept by the next run' '
	for t in .0123456789abcdef .web.1; do
		printf "1 1\n" >"$rec/$t" || return 1
	done &&
	as_alice tk-run --rm bb /bin/true &&
	test_must_fail test -e "$rec/.0123456789abcdef" &&
	test_must_fail test -e "$rec/.web.1"
'

test_expect_success 'a record naming a process that is not the container is not running' '
	id=$(as_alice tk-run -d bb /bin/true) &&
	as_alice tk-ls -q --exited >/dev/null &&
	test_wait_until 5 "as_alice tk-ls -q --exited | grep -qx $id" &&
	printf "%d 1\n" $$ >"$rec/$id" &&
	as_alice tk-ls -q >out &&
	test_line_count = 0 out &&
	as_alice tk-ls -q -a >out &&
	test_grep -x "$id" out
'

test_expect_success 'ulimit -n too low: tk-run says so, not "no such image"' '
	test_status 125 sh -c "ulimit -n 5; exec tk-run --rm busybox /bin/true" 2>err &&
	test_grep "open files" err &&
	test_must_fail test_grep "no such image" err &&
	test_must_fail sh -c "ulimit -n 4; exec tk-ls -a" 2>err &&
	test_grep "open files" err
'

test_expect_success 'no HOME and a uid missing from /etc/passwd: a clear error, no crash' '
	# tk-run is static: getpwuid must not load an NSS module (libnss_systemd
	# crashed it, status 139).
	u=54321 && while getent passwd $u >/dev/null; do u=$((u + 1)); done &&
	test_status 125 setpriv --reuid=$u --regid=$u --groups="$(getent group tk | cut -d: -f3)" \
		env -u HOME -u XDG_DATA_HOME -u TK_ROOT "${TK_TEST_BIN:-$REPO/bin}/tk-run" --rm busybox true \
		2>err &&
	test_grep "cannot find a home directory for the store: set TK_ROOT" err
'

test_expect_success 'umask 0777: pull and run work, with the store'\''s usual modes' '
	tk_as bob sh -c "umask 0777 && tk-pull -q --name bb tar:$TRASH/bb.tar.gz" >out 2>err &&
	is_hex64 "$(cat out)" &&
	tk_as bob sh -c "umask 0777 && tk-run bb /bin/sh -c \"echo hi >/x; cat /x\"" >out 2>err &&
	echo hi >expect &&
	test_cmp expect out &&
	bob_home=$(tk_user_home bob) &&
	test "$(stat -c %a "$bob_home/tk")" = 700 &&
	id=$(tk_as bob tk-ls -q -a) &&
	test "$(stat -c %a "$bob_home/tk/containers/$id/upper")" = 755 &&
	tk_as bob sh -c "umask 0777 && tk-rm $id" >/dev/null
'

test_expect_success JQ 'a full ID names its container; a name is found without its ID' '
	tk-run --name web busybox /bin/true &&
	a=$(tk-inspect -c web | jq -r .id) &&
	is_hex64 "$a" &&
	tk-inspect -c "$a" | jq -r .name >out &&
	echo web >expect &&
	test_cmp expect out &&
	test_must_fail tk-inspect -c nosuch 2>err &&
	test_grep "no such container" err &&
	test_must_fail tk-run --name web busybox /bin/true 2>err &&
	test_grep "already in use" err
'

test_expect_success JQ 'tk-ls --running, --exited and -a agree with tk-inspect' '
	m=$(marker lsr) &&
	test_atexit "kill_marker $m" &&
	r=$(tk-run -d busybox sh -c "sleep 1000; : $m") &&
	tk-ls -q >running &&
	tk-ls -q --exited >exited &&
	tk-ls -q -a >all &&
	test_grep -x "$r" running &&
	test_must_fail test_grep -x "$r" exited &&
	test_grep -x "$a" exited &&
	test "$(wc -l <all)" -ge 2 &&
	for i in $(cat all); do
		s=$(tk-inspect -c "$i" | jq -r .state.status) &&
		case $s in
		running) grep -qx "$i" running ;;
		exited) grep -qx "$i" exited ;;
		*) ! grep -qx "$i" running && ! grep -qx "$i" exited ;;
		esac || return 1
	done &&
	tk-rm -f "$r" >/dev/null
'

test_expect_success 'an image record of 100 KiB is read whole; one over 4 MiB is refused' '
	# Records are read into a buffer that starts small and grows up to
	# the 4 MiB bound: JSON whitespace makes the record large, not the data.
	big=$TRASH/big &&
	id=$(tk-pull -q --root "$big" --name bb "tar:$TRASH/bb.tar.gz") &&
	f=$big/images/$id.json &&
	{ printf "{" && head -c 100000 /dev/zero | tr "\\0" " " && tail -c +2 "$f"; } >"$f.new" &&
	mv "$f.new" "$f" &&
	test "$(stat -c %s "$f")" -gt 100000 &&
	tk-run --root "$big" --rm bb /bin/sh -c "echo hi" >out &&
	echo hi >expect &&
	test_cmp expect out &&
	{ printf "{" && head -c 4194304 /dev/zero | tr "\\0" " " && tail -c +2 "$f"; } >"$f.new" &&
	mv "$f.new" "$f" &&
	test_status 125 tk-run --root "$big" --rm bb /bin/true 2>err &&
	test_line_count = 1 err &&
	test "$(ls "$big/containers")" = "" &&
	test "$(tmp_left "$big")" = ""
'

test_expect_success 'a damaged image record is named with its remedy; tk-rm --image removes it and its layers' '
	dmg=$TRASH/dmg &&
	id=$(tk-pull -q --root "$dmg" --name bb "tar:$TRASH/bb.tar.gz") &&
	mkdir "$TRASH/two" && echo two >"$TRASH/two/f" &&
	tar -C "$TRASH/two" -czf "$TRASH/two.tar.gz" . &&
	id2=$(tk-pull -q --root "$dmg" --name two "tar:$TRASH/two.tar.gz") &&
	test "$(ls "$dmg/layers" | wc -l)" = 2 &&
	keep=$(jq -r ".layers[0]" "$dmg/images/$id2.json") &&
	echo "{\"id\": broken" >"$dmg/images/$id.json" &&
	# By full id and by prefix: the record is named damaged, with the remedy.
	test_status 125 tk-run --root "$dmg" --rm "$id" /bin/true 2>err &&
	test_line_count = 1 err &&
	test_grep "image $(printf %.12s "$id"): its record is damaged" err &&
	test_grep "tk-rm --image $id removes it" err &&
	test_status 125 tk-run --root "$dmg" --rm "$(printf %.8s "$id")" /bin/true 2>err &&
	test_grep "its record is damaged" err &&
	# By name: no such image, and a pointer to tk-ls --images.
	test_status 125 tk-run --root "$dmg" --rm bb /bin/true 2>err &&
	test_grep "no such image: .bb. (1 damaged image record: tk-ls --images names them)" err &&
	# tk-ls --images lists the good one and says which record is damaged.
	tk-ls --root "$dmg" --images -q >out 2>err &&
	echo "$id2" >expect &&
	test_cmp expect out &&
	test_line_count = 1 err &&
	test_grep "tk-ls: image $(printf %.12s "$id"): its record is damaged" err &&
	# The remedy works: the record and the layer only it used go.
	tk-rm --root "$dmg" --image "$id" >out &&
	echo "$id" >expect &&
	test_cmp expect out &&
	test "$(ls "$dmg/images")" = "$id2.json" &&
	test "$(ls "$dmg/layers")" = "$keep" &&
	test "$(tmp_left "$dmg")" = "" &&
	tk-ls --root "$dmg" --images -q >out 2>err &&
	echo "$id2" >expect &&
	test_cmp expect out &&
	test ! -s err
'

test_expect_success 'removing a damaged record keeps the layers a container uses, whatever its image' '
	dm2=$TRASH/dm2 &&
	a=$(tk-pull -q --root "$dm2" --name a "tar:$TRASH/bb.tar.gz") &&
	b=$(tk-pull -q --root "$dm2" --name b "tar:$TRASH/two.tar.gz") &&
	la=$(jq -r ".layers[0]" "$dm2/images/$a.json") &&
	tk-run --root "$dm2" --name c a /bin/true &&
	echo "{}" >"$dm2/images/$a.json" &&
	echo "[" >"$dm2/images/$b.json" &&
	test_must_fail tk-rm --root "$dm2" --image "$a" 2>err &&
	test_grep "container .* uses it" err &&
	tk-rm --root "$dm2" --image "$b" >/dev/null &&
	test "$(ls "$dm2/images")" = "$a.json" &&
	test "$(ls "$dm2/layers")" = "$la" &&
	tk-rm --root "$dm2" c >/dev/null &&
	tk-rm --root "$dm2" --image "$a" >/dev/null &&
	test "$(ls "$dm2/images")" = "" &&
	test "$(ls "$dm2/layers")" = "" &&
	test "$(tmp_left "$dm2")" = ""
'

test_expect_success 'a store whose parents are missing is made on first use, then opened as it is' '
	r="$TRASH/no/such/dir/store" &&
	TK_ROOT="$r" tk-ls -q >out &&
	test ! -s out &&
	test "$(stat -c %a "$r")" = 700 &&
	test "$(stat -c %a "$TRASH/no/such")" = 755 &&
	for d in tmp layers images containers; do test -d "$r/$d" || return 1; done &&
	rmdir "$r/tmp" &&
	TK_ROOT="$r" tk-ls -q >out &&
	test -d "$r/tmp" &&
	test_must_fail env TK_ROOT="$TRASH/no/such/file" tk-inspect x 2>err &&
	test_line_count = 1 err &&
	test_grep "cannot open store" err &&
	rm -rf "$TRASH/no"
'

test_done
