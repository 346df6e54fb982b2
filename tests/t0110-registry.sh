#!/bin/sh
test_description='tk-pull from a real registry (docker-registry on 127.0.0.1)'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_LIB/registry-lib.sh"

test_have_registry || test_skip_all "docker-registry or skopeo not installed"
test_have_prereq PYTHON3,BUSYBOX,ZSTD || test_skip_all "needs python3, busybox-static, zstd"

# run_in IMG 'shell code': in a throwaway container.
run_in() {
	tk-run --rm "$1" /bin/sh -c "$2"
}

test_expect_success 'setup: helper, registry, images (mkoci.py) pushed with skopeo' '
	tk_setup_helper &&
	reg_start anon &&
	R=127.0.0.1:$REG_PORT &&
	tk_build_busybox_tar bb.tar none &&
	mkdir l-host l-arm &&
	$PYTHON $TEST_LIB/mklayers.py l-host &&
	$PYTHON $TEST_LIB/mklayers.py l-arm arm64 &&
	bbman=$($MKOCI add lay --tag bb bb.tar) &&
	$MKOCI add lay --tag multi --env FROM_REG=yes bb.tar l-host/files.tar \
		l-host/changes.tar:zstd l-host/empty.tar >/dev/null &&
	$MKOCI add lay --tag multigz bb.tar l-host/files.tar l-host/changes.tar \
		l-host/empty.tar >/dev/null &&
	$MKOCI add lay --tag dock bb.tar l-host/files.tar >/dev/null &&
	$MKOCI add lay --tag arm --platform linux/arm64/v8 bb.tar l-host/files.tar \
		l-arm/changes.tar >/dev/null &&
	multi_index=$($MKOCI index lay --tag multiarch multi arm) &&
	reg_push lay:bb $R/test/bb:1 &&
	reg_push lay:multi $R/test/multi:latest &&
	reg_push lay:dock $R/test/dock:v2 --format v2s2 &&
	reg_push lay:multigz $R/test/multigz:1 &&
	reg_push lay:multiarch $R/test/multiarch:1 &&
	reg_push lay:arm $R/test/arm:1 &&
	bbcfg=$(jq -r .config.digest lay/blobs/sha256/$bbman | cut -d: -f2) &&
	is_hex64 "$bbcfg"
'

test_expect_success 'pull HOST:PORT/REPO:TAG prints the image id (the config digest) only' '
	tk-pull $R/test/bb:1 >out 2>err &&
	test_line_count = 1 out &&
	test "$(cat out)" = "$bbcfg" &&
	test_line_count = 0 err
'

test_expect_success 'the image is named after the reference' '
	tk-ls --images >table &&
	test_grep "^$R/test/bb:1 " table
'

test_expect_success 'the pulled image runs' '
	run_in "$R/test/bb:1" "echo hello" >out &&
	echo hello >expect &&
	test_cmp expect out
'

test_expect_success 'nothing left in tmp/ after a pull' '
	test -z "$(tmp_left "$TK_ROOT")"
'

test_expect_success 'pulling an unchanged image again: one manifest request, no blob' '
	cp "$REG_DIR/log" log.before &&
	id=$(tk-pull $R/test/bb:1) &&
	test "$id" = "$bbcfg" &&
	manifest_gets log.before test/bb >m.before &&
	manifest_gets "$REG_DIR/log" test/bb >m.after &&
	test $(( $(cat m.after) - $(cat m.before) )) = 1 &&
	test "$(blob_gets log.before test/bb)" = "$(blob_gets "$REG_DIR/log" test/bb)"
'

test_expect_success '-q prints only the id; docker:// is accepted' '
	tk-pull -q docker://$R/test/bb:1 >out 2>err &&
	test "$(cat out)" = "$bbcfg" &&
	test_line_count = 0 err
'

test_expect_success 'pull by digest: REPO@sha256:HEX' '
	id=$(tk-pull $R/test/bb@sha256:$bbman) &&
	test "$id" = "$bbcfg"
'

test_expect_success 'pull by a digest the registry does not have fails clearly' '
	test_must_fail tk-pull $R/test/bb@sha256:$(printf "%064d" 0) 2>err &&
	test_one_line_error err tk-pull &&
	test_grep "not found" err
'

test_expect_success 'a missing tag and a missing repository fail clearly' '
	test_must_fail tk-pull $R/test/bb:nosuchtag 2>err &&
	test_one_line_error err tk-pull &&
	test_grep "not found" err &&
	test_must_fail tk-pull $R/no/such/repo 2>err &&
	test_one_line_error err tk-pull
'

test_expect_success 'bad references are refused before any request' '
	for ref in "$R/UPPER/x" "$R/a//b" "$R/x:" "$R/x@sha256:12" "$R/x:-tag" ""; do
		test_must_fail tk-pull "$ref" 2>err &&
		test_grep "invalid image reference" err || return 1
	done
'

test_expect_success 'nothing listens: a clear error' '
	port=$($PYTHON -c "import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])") &&
	test_must_fail tk-pull 127.0.0.1:$port/x/y 2>err &&
	test_one_line_error err tk-pull &&
	test_grep "127.0.0.1:$port" err
'

test_expect_success 'multi-layer image (gzip, zstd and empty layers): only new layers are fetched' '
	nbefore=$(ls "$TK_ROOT/layers" | wc -l) &&
	bblayer=$(jq -r ".layers[0].digest" lay/blobs/sha256/$bbman) &&
	tk-pull -q $R/test/multi >id &&
	is_hex64 "$(cat id)" &&
	test $(ls "$TK_ROOT/layers" | wc -l) = $((nbefore + 3)) &&
	test_grep -v "GET /v2/test/multi/blobs/$bblayer" "$REG_DIR/log"
'

test_expect_success 'multi-layer image: whiteouts, opaque dir, links, owners, modes, env' '
	run_in $R/test/multi "
		test ! -e /etc/victim && echo no-victim
		ls /opt
		cat /data/hard /data/sym /data/arch
		stat -c \"%n %u:%g %a %h\" /data/owned /data/by-7 /data/suid /data/sgid
		readlink /data/sym
		echo \$FROM_REG" >out &&
	cat >expect <<-\EOF &&
	no-victim
	new
	owned
	owned
	host
	/data/owned 1000:1000 640 2
	/data/by-7 7:7 644 1
	/data/suid 0:0 4755 1
	/data/sgid 0:0 2755 2
	owned
	yes
	EOF
	test_cmp expect out
'

test_expect_success UMOCI 'the tree is the one umoci unpack makes: busybox' '
	same_tree $R/test/bb:1 lay:bb
'

test_expect_success UMOCI 'the tree is the one umoci makes: layers with whiteouts, opaque dir, links, uids, an empty layer' '
	same_tree $R/test/multigz:1 lay:multigz &&
	for f in data/hard data/owned data/by-7 data/suid data/sgid data/sym opt/new; do
		test_grep "^$f " tk.list || return 1
	done &&
	grep -A2 "^data/owned .* 1000:1000 " tk.list >owned &&
	test_grep "^links 2$" owned &&
	test_grep -v "^etc/victim " tk.list
'

test_expect_success UMOCI 'the tree with a zstd layer is the same as with gzip (umoci has no zstd)' '
	same_tree $R/test/multi:latest lay:multigz
'

test_expect_success UMOCI 'the tree of a Docker schema 2 image is the one umoci makes' '
	same_tree $R/test/dock:v2 lay:dock
'

test_expect_success UMOCI 'the tree of an arm64 image, and of each platform of an index' '
	same_tree $R/test/arm:1 lay:arm &&
	same_tree $R/test/multiarch:1 lay:multigz &&
	same_tree $R/test/multiarch:1 lay:arm --platform linux/arm64
'

test_expect_success 'Docker schema 2 media types (skopeo --format v2s2)' '
	curl -s -H "Accept: application/vnd.docker.distribution.manifest.v2+json" \
		http://$R/v2/test/dock/manifests/v2 >dock.json &&
	test "$(jq -r .mediaType dock.json)" = application/vnd.docker.distribution.manifest.v2+json &&
	id=$(tk-pull $R/test/dock:v2) &&
	run_in "$id" "cat /data/owned" >out &&
	echo owned >expect &&
	test_cmp expect out
'

test_expect_success 'an index: this machine'"'"'s platform by default' '
	id=$(tk-pull $R/test/multiarch:1) &&
	test "$id" = "$(cat id)" &&
	run_in "$id" "cat /data/arch" >out &&
	echo host >expect &&
	test_cmp expect out
'

test_expect_success 'an index: --platform picks another (with a warning)' '
	id=$(tk-pull --platform linux/arm64 $R/test/multiarch:1 2>err) &&
	test_grep "arm64" err &&
	run_in "$id" "cat /data/arch" >out &&
	echo arm64 >expect &&
	test_cmp expect out &&
	id2=$(tk-pull -q --platform linux/arm64/v8 $R/test/multiarch:1) &&
	test "$id2" = "$id"
'

test_expect_success 'a Docker manifest list (skopeo --format v2s2 --all)' '
	: Docker schema 2 has no zstd: an index of the gzip images &&
	$MKOCI index lay --tag gzarch multigz arm >/dev/null &&
	reg_push lay:gzarch $R/test/dlist:1 --format v2s2 &&
	curl -s -H "Accept: application/vnd.docker.distribution.manifest.list.v2+json" \
		http://$R/v2/test/dlist/manifests/1 >list.json &&
	test "$(jq -r .mediaType list.json)" = application/vnd.docker.distribution.manifest.list.v2+json &&
	tk-pull -q --root "$TRASH/dl" --platform linux/arm64 $R/test/dlist:1 >dl.id &&
	tk-run --root "$TRASH/dl" --rm "$(cat dl.id)" /bin/cat /data/arch >out &&
	echo arm64 >expect && test_cmp expect out
'

test_expect_success 'an index without the platform asked for fails clearly' '
	test_must_fail tk-pull --platform linux/s390x $R/test/multiarch:1 2>err &&
	test_one_line_error err tk-pull &&
	test_grep "linux/s390x" err &&
	test_must_fail tk-pull --platform nonsense $R/test/multiarch:1 2>err &&
	test_grep "platform" err
'

test_expect_success 'pulling an unchanged index again: one manifest request' '
	cp "$REG_DIR/log" log.before &&
	tk-pull -q $R/test/multiarch:1 >/dev/null &&
	test $(( $(manifest_gets "$REG_DIR/log" test/multiarch) -
		 $(manifest_gets log.before test/multiarch) )) = 1 &&
	test "$(blob_gets log.before test/multiarch)" = "$(blob_gets "$REG_DIR/log" test/multiarch)"
'

test_expect_success 'layers are shared between images; tmp/ is empty' '
	test -z "$(tmp_left "$TK_ROOT")" &&
	test -d "$TK_ROOT/layers/$(sha256sum bb.tar | cut -c1-64)"
'

test_expect_success 'platform manifests kept for an index go when their image is removed' '
	ls "$TK_ROOT/manifests" >kept &&
	test_line_count = 2 kept &&
	for f in "$TK_ROOT"/manifests/*.json; do
		tk-rm --image "$(jq -r .config.digest "$f" | cut -d: -f2)" >/dev/null || return 1
	done &&
	tk-pull -q $R/test/bb:1 >/dev/null &&
	test -z "$(ls -A "$TK_ROOT/manifests")"
'

test_expect_success '--jobs is checked' '
	test_must_fail tk-pull --jobs 0 $R/test/bb:1 2>err &&
	test_grep "jobs" err &&
	test_must_fail tk-pull --jobs x $R/test/bb:1 2>/dev/null &&
	id=$(tk-pull --jobs 1 --root "$TRASH/j1" $R/test/multi) &&
	test "$id" = "$(cat id)"
'

test_done
