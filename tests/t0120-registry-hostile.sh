#!/bin/sh
test_description='hostile images pushed to a real registry and pulled (SECURITY.md attacks 15-21)'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_LIB/registry-lib.sh"

test_have_registry || test_skip_all "docker-registry or skopeo not installed"
test_have_prereq PYTHON3,BUSYBOX || test_skip_all "needs python3 and busybox-static"

HOSTILE="$PYTHON $TEST_LIB/hostile-tar.py"
HLAYERS="$PYTHON $TEST_LIB/hostile-layers.py"

snapshot() {
	ls -A "$TK_ROOT/layers" | sort >layers.before &&
	tk-ls --images -q | sort >images.before
}

test_expect_success 'setup: helper, registry, a watched directory outside the store' '
	tk_setup_helper &&
	reg_start hostile &&
	R=127.0.0.1:$REG_PORT &&
	tk_build_busybox_tar bb.tar none &&
	mkdir "$TRASH/outside" &&
	echo canary >"$TRASH/outside/canary" &&
	ls -lA "$TRASH/outside" >outside.before &&
	sha256sum "$TRASH/outside/canary" >canary.sum &&
	mkdir -p "$TK_ROOT/tmp" "$TK_ROOT/layers" &&
	: the base layer is in the store: later checks see only what changes &&
	$MKOCI add lay --tag base bb.tar >/dev/null &&
	reg_push lay:base $R/h/base:1 &&
	tk-pull -q $R/h/base:1 >/dev/null &&
	snapshot
'

# nothing_escaped: the oracle of every row (SECURITY.md): nothing outside
# changed, no layer or image added, nothing in tmp/ but partial blobs.
nothing_escaped() {
	ls -lA "$TRASH/outside" >outside.after &&
	test_cmp outside.before outside.after &&
	sha256sum -c --quiet canary.sum &&
	test "$(stat -c %h "$TRASH/outside/canary")" = 1 &&
	test "$(stat -c %h /etc/shadow)" = 1 &&
	ls -A "$TK_ROOT/layers" | sort >layers.after &&
	test_cmp layers.before layers.after &&
	tk-ls --images -q | sort >images.after &&
	test_cmp images.before images.after &&
	test -z "$(tmp_left "$TK_ROOT" | grep -v "^blob-.*\.part$")" &&
	test ! -e /abs && test ! -e /dotdot && test ! -e /inner && test ! -e /pwned
}

# push_layers TAG LAYER...: an image of the base and LAYERs, in the registry.
push_layers() {
	_t=$1
	shift
	$MKOCI add lay --tag "$_t" bb.tar "$@" >/dev/null &&
	reg_push "lay:$_t" "$R/h/$_t:1"
}

# refused TAG: pulling it fails with one clear line; nothing escaped.
refused() {
	test_must_fail tk-pull "$R/h/$1:1" 2>err &&
	test_grep "^tk-pull: " err &&
	nothing_escaped
}

for kind in absolute dotdot inner-dotdot symlink-abs symlink-rel symlink-dir \
	hardlink-shadow hardlink-dotdot hardlink-canary bare-wh wh-dotdot
do
	test_expect_success "hostile layer refused: $kind (attacks 15-18)" "
		$HOSTILE $kind h-$kind.tar \"\$TRASH/outside\" &&
		push_layers $kind h-$kind.tar &&
		refused $kind
	"
done

for kind in sym-then-write sym-dotdot hardlink-cross
do
	test_expect_success "across layers: $kind (attacks 16-17)" "
		$HLAYERS $kind h-$kind \"\$TRASH/outside\" &&
		push_layers $kind h-$kind-1.tar h-$kind-2.tar &&
		{ tk-pull $R/h/$kind:1 >out 2>err || test_grep '^tk-pull: ' err ; } &&
		ls -lA \"\$TRASH/outside\" >outside.after &&
		test_cmp outside.before outside.after &&
		sha256sum -c --quiet canary.sum &&
		test ! -e \"\$TRASH/outside/pwned\" && test ! -e \"\$TRASH/outside/y\" &&
		if test -s out; then tk-rm --image \"\$(cat out)\" >/dev/null; fi &&
		snapshot
	"
done

test_expect_success 'whiteout of a symlink to outside, then a directory there (attack 18)' '
	$HLAYERS wh-symlink h-whs "$TRASH/outside" &&
	push_layers whs h-whs-1.tar h-whs-2.tar &&
	{ tk-pull $R/h/whs:1 >out 2>err || test_grep "^tk-pull: " err ; } &&
	ls -lA "$TRASH/outside" >outside.after &&
	test_cmp outside.before outside.after &&
	if test -s out; then tk-rm --image "$(cat out)" >/dev/null; fi &&
	snapshot
'

test_expect_success 'an opaque whiteout at the root is confined to the layer (attack 18)' '
	$HLAYERS opq-root h-opq "$TRASH/outside" &&
	push_layers opq h-opq-1.tar &&
	id=$(tk-pull -q $R/h/opq:1) &&
	: the layer below still shows: the image keeps busybox &&
	tk-run --rm "$id" /bin/cat /file >out &&
	echo ok >expect && test_cmp expect out &&
	tk-rm --image "$id" >/dev/null && snapshot
'

test_expect_success 'device nodes never reach the store (attack 19)' '
	$HOSTILE device h-device.tar "$TRASH/outside" &&
	push_layers device h-device.tar &&
	{ tk-pull $R/h/device:1 >out 2>err || test_grep "^tk-pull: " err ; } &&
	find "$TK_ROOT" \( -type b -o -type c \) -print >devs &&
	for f in $(cat devs); do
		test "$(stat -c %t:%T "$f")" = 0:0 || { echo "device in store: $f"; return 1; }
	done &&
	if test -s out; then tk-rm --image "$(cat out)" >/dev/null; fi &&
	snapshot
'

test_expect_success 'xattrs: no file capabilities, no trusted.*, no overlay steering (attack 19)' '
	$HLAYERS xattrs h-x "$TRASH/outside" &&
	push_layers xattrs h-x-1.tar &&
	id=$(tk-pull $R/h/xattrs:1 2>err) &&
	test_grep "security.capability" err &&
	l=$(tk-ls --images -o json | jq -r "select(.id == \"$id\") | .layers[-1]") &&
	f="$TK_ROOT/layers/$l/f" &&
	test -f "$f" &&
	$PYTHON -c "import os, sys; print(chr(10).join(os.listxattr(sys.argv[1])))" "$f" >attrs &&
	test_grep "user.ok" attrs &&
	test_grep -v "security.capability" attrs &&
	test_grep -v "trusted" attrs &&
	test_grep -v "overlay" attrs &&
	tk-rm --image "$id" >/dev/null && snapshot
'

test_expect_success 'setuid bits are kept inside, for a member never as host root (attack 19)' '
	$HLAYERS suid-root h-suid "$TRASH/outside" &&
	push_layers suid h-suid-1.tar &&
	tk_add_user suid &&
	uhome=$(tk_user_home suid) &&
	tk_as suid tk-pull -q $R/h/suid:1 >out &&
	find "$uhome/tk" -perm -4000 -user root >rootsuid &&
	test_line_count = 0 rootsuid &&
	find "$uhome/tk" -perm -4000 -name suid >kept &&
	test_line_count = 1 kept &&
	test "$(stat -c %u "$(cat kept)")" != 0
'

test_expect_success 'a path 300 directories deep is refused (attack 20)' '
	$HLAYERS deep h-deep "$TRASH/outside" &&
	push_layers deep h-deep-1.tar &&
	refused deep &&
	test_grep "deeper" err
'

test_expect_success 'a gzip bomb is refused before the disk fills (attack 20)' '
	$HLAYERS bomb h-bomb "$TRASH/outside" &&
	push_layers bomb h-bomb-1.tar &&
	rm -f h-bomb-1.tar &&
	refused bomb &&
	test_grep "decompression bomb" err
'

test_expect_success 'a wrong-digest blob (corrupted in the registry) is refused (attack 20)' '
	man=$($MKOCI add lay --tag corrupt bb.tar h-suid-1.tar) &&
	reg_push lay:corrupt $R/h/corrupt:1 &&
	l=$(jq -r ".layers[1].digest" lay/blobs/sha256/$man | cut -d: -f2) &&
	f=$(reg_blob_file "$REG_DIR" "$l") &&
	test -f "$f" &&
	printf "X" | dd of="$f" bs=1 seek=20 conv=notrunc 2>/dev/null &&
	refused corrupt &&
	test_grep "digest mismatch\|unreadable\|gzip\|crc" err &&
	: the corrupt blob is never kept to be resumed, another layer stopped &&
	: by its failure may keep its partial blob, as doc/DESIGN.md says &&
	test ! -e "$TK_ROOT/tmp/blob-$l.part" &&
	test -z "$(tmp_left "$TK_ROOT" | grep -v "^blob-.*\.part$")"
'

test_expect_success 'a truncated blob in the registry is refused (attack 20)' '
	man=$($MKOCI add lay --tag trunc bb.tar h-x-1.tar) &&
	reg_push lay:trunc $R/h/trunc:1 &&
	l=$(jq -r ".layers[1].digest" lay/blobs/sha256/$man | cut -d: -f2) &&
	f=$(reg_blob_file "$REG_DIR" "$l") &&
	truncate -s 50 "$f" &&
	refused trunc &&
	test_grep "partial\|bytes" err &&
	: what did arrive is kept for a resume, as after a dropped connection &&
	test "$(stat -c %s "$TK_ROOT/tmp/blob-$l.part")" = 50
'

test_expect_success 'a wrong diff-id in the config is refused (attack 20)' '
	$MKOCI add lay --tag baddiff --bad-diffid bb.tar h-opq-1.tar >/dev/null &&
	reg_push lay:baddiff $R/h/baddiff:1 &&
	refused baddiff &&
	test_grep "diff-id" err
'

for confusion in "--config-type application/vnd.oci.image.layer.v1.tar+gzip" \
	"--layer-type application/vnd.oci.image.config.v1+json" \
	"--layer-type application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" \
	"--layer-type text/plain"
do
	test_expect_success "media-type confusion refused: $confusion (attack 20)" "
		t=conf\$(printf '%s' '$confusion' | sha256sum | cut -c1-8) &&
		\$MKOCI add lay --tag \$t $confusion bb.tar h-x-1.tar >/dev/null &&
		reg_push lay:\$t \$R/h/\$t:1 &&
		refused \$t &&
		test_grep 'media type' err
	"
done

test_expect_success 'a manifest served as an index is refused (attack 20)' '
	man=$($MKOCI add lay --tag asindex bb.tar) &&
	jq -c "del(.mediaType)" lay/blobs/sha256/$man >m.json &&
	curl -s -f -X PUT -H "Content-Type: application/vnd.oci.image.index.v1+json" \
		--data-binary @m.json http://$R/v2/h/base/manifests/asindex >/dev/null ||
	{ echo "the registry would not store it: nothing to test"; true; } &&
	if curl -s -f -o /dev/null http://$R/v2/h/base/manifests/asindex; then
		test_must_fail tk-pull $R/h/base:asindex 2>err &&
		test_grep "^tk-pull: " err && nothing_escaped
	fi
'

test_expect_success 'image config with LD_PRELOAD: a member container runs as the mapped caller (attack 21)' '
	$MKOCI add lay --tag cfg --env LD_PRELOAD=/nonexistent.so bb.tar >/dev/null &&
	reg_push lay:cfg $R/h/cfg:1 &&
	tk_as suid tk-pull -q $R/h/cfg:1 >/dev/null &&
	tk_as suid tk-run --rm $R/h/cfg:1 /bin/cat /proc/self/uid_map >map 2>err &&
	awk -v u="$(tk_user_uid suid)" "\$1 == 0 && \$2 == u { f = 1 } END { exit !f }" map
'

test_expect_success 'no registry request escaped the loopback registry; tmp/ is clean' '
	test -z "$(tmp_left "$TK_ROOT" | grep -v "^blob-.*\.part$")"
'

test_done
