#!/bin/sh
test_description='tk-pull interrupted: SIGINT, a connection that keeps dropping, a full disk; the next pull resumes and leaves no temp files'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_LIB/registry-lib.sh"

test_have_registry || test_skip_all "docker-registry or skopeo not installed"
test_have_prereq PYTHON3,BUSYBOX || test_skip_all "needs python3 and busybox-static"

# store_clean S: no image, no layer, nothing in tmp/ but partial blobs.
store_clean() {
	test "$(tk-ls --root "$1" --images -q | wc -l)" = 0 &&
	test -z "$(ls -A "$1/layers" 2>/dev/null)" &&
	test -z "$(tmp_left "$1" 2>/dev/null | grep -v '^blob-.*\.part$')"
}

test_expect_success 'setup: helper, registry, a two-layer image' '
	tk_setup_helper &&
	reg_start intr &&
	RP=$REG_PORT &&
	R=127.0.0.1:$RP &&
	tk_build_busybox_tar bb.tar none &&
	mkdir l && $PYTHON $TEST_LIB/mklayers.py l &&
	man=$($MKOCI add lay --tag two bb.tar l/files.tar) &&
	reg_push lay:two $R/r/two:1 &&
	cfg=$(jq -r .config.digest lay/blobs/sha256/$man | cut -d: -f2) &&
	big=$(jq -r ".layers[0].digest" lay/blobs/sha256/$man | cut -d: -f2) &&
	bigsize=$(jq -r ".layers[0].size" lay/blobs/sha256/$man) &&
	test "$bigsize" -gt 400000
'

test_expect_success 'SIGINT mid-download: tk-pull dies of it, nothing published, no unpacker left' '
	proxy_start stall $RP --stall-once 300000 &&
	S=$TRASH/s1 &&
	part="$S/tmp/blob-$big.part" &&
	: a background job of a script ignores SIGINT: give it back its default &&
	{ env --default-signal=INT tk-pull --root "$S" -j 1 127.0.0.1:$PROXY_PORT/r/two:1 \
		>out 2>err & } &&
	pid=$! &&
	test_wait_until 60 "test \$(stat -c %s \"$part\" 2>/dev/null || echo 0) -ge 300000" &&
	kill -INT $pid &&
	{ wait $pid; echo $? >status; } &&
	echo 130 >expect && test_cmp expect status &&
	test_wait_until 20 "! pgrep -f \"tk-pull --root $S\"" &&
	test "$(stat -c %s "$part")" = 300000 &&
	store_clean "$S"
'

test_expect_success 'after SIGINT the next pull resumes with a Range request; tmp/ is empty' '
	proxy_start after $RP &&
	id=$(tk-pull --root "$S" 127.0.0.1:$PROXY_PORT/r/two:1) &&
	test "$id" = "$cfg" &&
	test_grep "^GET /v2/r/two/blobs/sha256:$big - bytes=300000-$" "$PROXY_LOG" &&
	test -z "$(tmp_left "$S")"
'

test_expect_success 'a connection that keeps dropping: retried, resumed, then a clear error' '
	proxy_start flaky $RP --drop-each 50000 &&
	S=$TRASH/s2 &&
	test_must_fail tk-pull --root "$S" 127.0.0.1:$PROXY_PORT/r/two:1 2>err &&
	test_one_line_error err tk-pull &&
	test_grep "sha256:$(printf %.12s $big)" err &&
	test "$(grep -c "^GET /v2/r/two/blobs/sha256:$big" "$PROXY_LOG")" -ge 3 &&
	test_grep "^GET /v2/r/two/blobs/sha256:$big - bytes=50000-$" "$PROXY_LOG" &&
	have=$(stat -c %s "$S/tmp/blob-$big.part") &&
	test "$have" -ge 100000 &&
	store_clean "$S"
'

test_expect_success 'the next pull resumes where the dropped ones ended; tmp/ is empty' '
	proxy_start after2 $RP &&
	id=$(tk-pull --root "$S" 127.0.0.1:$PROXY_PORT/r/two:1) &&
	test "$id" = "$cfg" &&
	test_grep "^GET /v2/r/two/blobs/sha256:$big - bytes=$have-$" "$PROXY_LOG" &&
	test -z "$(tmp_left "$S")" &&
	tk-run --root "$S" --rm "$id" /bin/cat /data/owned >out &&
	echo owned >expect && test_cmp expect out
'

# The store on a tmpfs too small for the image, in a mount namespace of
# the test's own (the mount goes with it); then more room, and again.
test_expect_success ROOT 'a full disk: one clear line, nothing half-written; with room again the pull succeeds' '
	S=$TRASH/s3 && mkdir "$S" &&
	cat >full.sh <<-EOF &&
	set -ex
	mount -t tmpfs -o size=512k,mode=0700 tk-test-full "$S"
	if tk-pull --root "$S" $R/r/two:1 >out 2>err; then echo "pulled on a full disk"; exit 1; fi
	test "\$(wc -l <err)" = 1
	grep "No space left on device" err
	test "\$(tk-ls --root "$S" --images -q | wc -l)" = 0
	test -z "\$(ls -A "$S/layers")"
	: the blob that hit the full disk leaves nothing, another one stopped
	: by its failure may keep a partial blob for the next pull to resume
	failed=\$(sed -n "s/.*cannot write .\\(blob-[0-9a-f]*\\.part\\).*/\\1/p" err)
	test -z "\$failed" || test ! -e "$S/tmp/\$failed"
	test -z "\$(ls -A "$S/tmp" | grep -v "^blob-.*\\.part\$")"
	mount -o remount,size=64m "$S"
	tk-pull --root "$S" $R/r/two:1 >id
	test "\$(cat id)" = "$cfg"
	test -z "\$(ls -A "$S/tmp")"
	tk-ls --root "$S" --images -q >ids
	EOF
	unshare -m --propagation private sh full.sh &&
	test_grep "^tk-pull: .*No space left on device" err &&
	test "$(cat ids)" = "$cfg" &&
	test -z "$(ls -A "$S")"
'

test_done
