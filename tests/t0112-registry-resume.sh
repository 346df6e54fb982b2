#!/bin/sh
test_description='tk-pull: dropped connections, SIGKILL and resume; progress; tk-rm --image --unused'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_LIB/registry-lib.sh"

test_have_registry || test_skip_all "docker-registry or skopeo not installed"
test_have_prereq PYTHON3,BUSYBOX || test_skip_all "needs python3 and busybox-static"

test_expect_success 'setup: helper, registry, a two-layer image' '
	tk_setup_helper &&
	reg_start resume &&
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

test_expect_success 'a connection dropped mid-blob is resumed with a Range request' '
	proxy_start drop $RP --drop-once 300000 &&
	id=$(tk-pull --root "$TRASH/s1" 127.0.0.1:$PROXY_PORT/r/two:1) &&
	test "$id" = "$cfg" &&
	test_grep "^GET /v2/r/two/blobs/sha256:$big - bytes=300000-$" "$PROXY_LOG" &&
	test -z "$(tmp_left "$TRASH/s1")"
'

test_expect_success 'a registry that ignores Range: the bytes we have are skipped' '
	proxy_start norange $RP --drop-once 300000 --no-range &&
	id=$(tk-pull --root "$TRASH/s2" 127.0.0.1:$PROXY_PORT/r/two:1) &&
	test "$id" = "$cfg" &&
	test "$(grep -c "^GET /v2/r/two/blobs/sha256:$big" "$PROXY_LOG")" = 2
'

test_expect_success 'SIGKILL mid-download: nothing published, the partial blob kept' '
	proxy_start stall $RP --stall-once 300000 &&
	S=$TRASH/s3 &&
	part="$S/tmp/blob-$big.part" &&
	{ tk-pull --root "$S" -j 1 127.0.0.1:$PROXY_PORT/r/two:1 >out 2>err & } &&
	pid=$! &&
	test_wait_until 60 "test \$(stat -c %s \"$part\" 2>/dev/null || echo 0) -ge 300000" &&
	kill -9 $pid &&
	wait $pid;
	test_wait_until 20 "! pgrep -f \"tk-pull --root $S\"" &&
	test "$(stat -c %s "$part")" = 300000 &&
	test "$(tk-ls --root "$S" --images -q | wc -l)" = 0 &&
	test -z "$(ls -A "$S/layers")"
'

test_expect_success 'the next pull resumes the partial blob and leaves no temp files' '
	proxy_start after $RP &&
	id=$(tk-pull --root "$S" 127.0.0.1:$PROXY_PORT/r/two:1) &&
	test "$id" = "$cfg" &&
	test_grep "^GET /v2/r/two/blobs/sha256:$big - bytes=300000-$" "$PROXY_LOG" &&
	test -z "$(tmp_left "$S")" &&
	tk-run --root "$S" --rm "$id" /bin/cat /data/owned >out &&
	echo owned >expect && test_cmp expect out
'

test_expect_success 'a corrupt partial blob is started again from zero' '
	S=$TRASH/s4 &&
	mkdir -p "$S/tmp" &&
	head -c 1000 /dev/urandom >"$S/tmp/blob-$big.part" &&
	id=$(tk-pull --root "$S" $R/r/two:1) &&
	test "$id" = "$cfg" &&
	test -z "$(tmp_left "$S")"
'

# The unpacker of a corrupt partial blob dies at its first bytes while the
# rest streams in: tk-pull then wrote to a pipe with no reader and died of
# SIGPIPE (exit 141), about once in 50 pulls on a loaded machine.
test_expect_success CC 'an unpacker that died mid-stream: EPIPE for tk-pull, never SIGPIPE' '
	cc $TK_SANFLAGS -D_GNU_SOURCE -I"$REPO/lib" -I"$REPO/helper" -o sigpipe-test \
		"$TEST_LIB/sigpipe-test.c" "$REPO/lib/libtk.a" &&
	./sigpipe-test >out &&
	printf "%s\n" "open: 1" "closed: -1 EPIPE, pending 0" "caller'"'"'s: -1 EPIPE, pending 1" >expect &&
	test_cmp expect out
'

test_expect_success 'progress on a terminal: each layer and the total; nothing off a terminal or with -q' '
	tk-pull --root "$TRASH/s5" $R/r/two:1 >out 2>err &&
	test_line_count = 0 err &&
	small=$(jq -r ".layers[1].digest" lay/blobs/sha256/$man | cut -d: -f2) &&
	script -qec "tk-pull --root $TRASH/s6 $R/r/two:1 >$TRASH/id6" /dev/null >tty.out &&
	test "$(cat id6)" = "$cfg" &&
	test_grep "$(printf %.12s $big): done" tty.out &&
	test_grep "$(printf %.12s $small): done" tty.out &&
	test_grep "2/2 layers, [0-9.]* [kM]B / [0-9.]* [kM]B" tty.out &&
	script -qec "tk-pull -q --root $TRASH/s6q $R/r/two:1 >$TRASH/id6q" /dev/null >tty.q &&
	test "$(cat id6q)" = "$cfg" &&
	test_line_count = 0 tty.q
'

test_expect_success 'tk-rm --image --unused removes the images no container uses' '
	S=$TRASH/s7 &&
	a=$(tk-pull --root "$S" $R/r/two:1) &&
	b=$(tk-pull --root "$S" --name plain "tar:$TRASH/bb.tar") &&
	tk-run --root "$S" --name keeper plain /bin/true &&
	tk-rm --root "$S" --image --unused >removed &&
	echo "$a" >expect && test_cmp expect removed &&
	tk-ls --root "$S" --images -q >left &&
	echo "$b" >expect && test_cmp expect left &&
	test "$(ls "$S/layers" | wc -l)" = 1 &&
	test_must_fail tk-rm --root "$S" --unused 2>err &&
	test_grep "unused" err
'

test_done
