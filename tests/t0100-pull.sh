#!/bin/sh
test_description='tk-pull: tar, oci and docker-archive imports; hostile archives'
. "$(dirname "$0")/test-lib.sh"

HOSTILE="$PYTHON $TEST_LIB/hostile-tar.py"
MKDA="$PYTHON $TEST_LIB/mkdocker-archive.py"

nlayers() {
	ls -A "$TK_ROOT/layers" 2>/dev/null | wc -l
}

# run_in IMG 'shell code': run it in a throwaway container (as root).
run_in() {
	_img=$1
	shift
	tk-run --rm "$_img" /bin/sh -c "$1"
}

test_expect_success BUSYBOX 'setup: busybox rootfs tarballs' '
	tk_build_busybox_tar bb.tar.gz gz &&
	tk_build_busybox_tar bb.tar none &&
	tk_build_busybox_tar bbdot.tar.gz gz dot
'

test_expect_success ROOT 'setup: setuid helper' '
	tk_setup_helper
'

test_expect_success BUSYBOX 'pull tar: (gzip) prints a 64-hex image id, only that' '
	tk-pull tar:bb.tar.gz >out 2>err &&
	test_line_count = 1 out &&
	id_gz=$(cat out) &&
	is_hex64 "$id_gz" &&
	test "$(nlayers)" = 1
'

test_expect_success BUSYBOX 'pulling the same tar again gives the same id and reuses the layer' '
	id2=$(tk-pull tar:bb.tar.gz) &&
	test "$id2" = "$id_gz" &&
	test "$(nlayers)" = 1 &&
	tk-ls --images -q >ids &&
	test_line_count = 1 ids
'

test_expect_success BUSYBOX 'pull -q prints the id only' '
	tk-pull -q tar:bb.tar.gz >out 2>err &&
	test "$(cat out)" = "$id_gz" &&
	test_line_count = 0 err
'

test_expect_success BUSYBOX 'pull tar: uncompressed' '
	id=$(tk-pull tar:bb.tar) &&
	is_hex64 "$id"
'

test_expect_success BUSYBOX,XZ 'pull tar: xz' '
	xz -c bb.tar >bb.tar.xz &&
	id=$(tk-pull tar:bb.tar.xz) &&
	is_hex64 "$id"
'

test_expect_success BUSYBOX,ZSTD 'pull tar: zstd' '
	zstd -q -c bb.tar >bb.tar.zst &&
	id=$(tk-pull tar:bb.tar.zst) &&
	is_hex64 "$id"
'

test_expect_success BUSYBOX 'one layer for the same content, whatever the compression' '
	test "$(nlayers)" = 1
'

test_expect_success BUSYBOX 'pull tar: with ./ names (minirootfs style)' '
	id=$(tk-pull tar:bbdot.tar.gz) &&
	is_hex64 "$id"
'

test_expect_success BUSYBOX 'pull --name names the image' '
	id_named=$(tk-pull --name bbnamed tar:bb.tar.gz) &&
	is_hex64 "$id_named" &&
	tk-ls --images >table &&
	test_grep bbnamed table
'

test_expect_success BUSYBOX,JQ 'tk-ls --images -o json: one object per line, with the fields' '
	tk-ls --images -o json >json &&
	test -s json &&
	while read -r line; do
		printf "%s\n" "$line" |
		jq -e "has(\"id\") and has(\"names\") and has(\"created\") and has(\"size\") and has(\"layers\")" >/dev/null ||
		return 1
	done <json &&
	jq -r ".id" json >ids &&
	test_grep -x "$id_named" ids &&
	jq -r --arg id "$id_named" "select(.id == \$id) | .names | if type == \"array\" then .[] else . end" json >names &&
	test_grep -x -E "bbnamed(:latest)?" names
'

test_expect_success BUSYBOX 'pull of a missing file fails with a message' '
	test_must_fail tk-pull tar:nonexistent.tar 2>err &&
	test_grep "^tk-pull: " err
'

test_expect_success BUSYBOX 'pull of a truncated tarball fails and leaves nothing' '
	head -c 100000 bb.tar.gz >trunc.tar.gz &&
	ls "$TK_ROOT/layers" >layers.before &&
	test_must_fail tk-pull tar:trunc.tar.gz 2>err &&
	test_grep "^tk-pull: " err &&
	ls "$TK_ROOT/layers" >layers.after &&
	test_cmp layers.before layers.after &&
	test -z "$(tmp_left "$TK_ROOT")"
'

test_expect_success BUSYBOX 'pull of an unknown transport is refused' '
	test_must_fail tk-pull bogus:bb.tar.gz 2>err &&
	test_grep "^tk-pull: " err
'

# --- rm --image, in a store of its own

test_expect_success BUSYBOX 'tk-rm --image removes the image and its layer' '
	R="$TRASH/rmstore" &&
	id=$(tk-pull --root "$R" --name gone tar:bb.tar.gz) &&
	test "$(ls -A "$R/layers" | wc -l)" = 1 &&
	tk-rm --root "$R" --image "$id" &&
	tk-ls --root "$R" --images -q >ids &&
	test_line_count = 0 ids &&
	test "$(ls -A "$R/layers" | wc -l)" = 0
'

test_expect_success BUSYBOX 'tk-rm --image by name, and by unique id prefix' '
	R="$TRASH/rmstore" &&
	id=$(tk-pull --root "$R" --name byname tar:bb.tar.gz) &&
	tk-rm --root "$R" --image byname &&
	test "$(tk-ls --root "$R" --images -q | wc -l)" = 0 &&
	id=$(tk-pull --root "$R" tar:bb.tar.gz) &&
	prefix=$(printf %.12s "$id") &&
	tk-rm --root "$R" --image "$prefix" &&
	test "$(tk-ls --root "$R" --images -q | wc -l)" = 0 &&
	test "$(ls -A "$R/layers" | wc -l)" = 0
'

test_expect_success ROOT,BUSYBOX 'tk-rm --image is refused while a container uses the image' '
	R="$TRASH/rmstore3" &&
	id=$(tk-pull --root "$R" --name used tar:bb.tar.gz) &&
	tk-run --root "$R" --name user1 used /bin/true &&
	test_must_fail tk-rm --root "$R" --image used 2>err &&
	test_grep "^tk-rm: " err &&
	tk-ls --root "$R" --images -q >ids &&
	test_grep -x "$id" ids &&
	tk-rm --root "$R" user1 &&
	tk-rm --root "$R" --image used &&
	test "$(tk-ls --root "$R" --images -q | wc -l)" = 0
'

# --- oci: layouts made by umoci, with whiteouts in later layers

# (umoci 0.4.7 "insert" of a directory writes a tar without its end blocks,
# so directories go in through unpack/repack; "insert --whiteout" is fine.)
test_expect_success ROOT,BUSYBOX,UMOCI 'setup: an OCI layout with a whiteout in a later layer (umoci)' '
	mkdir ocisrc && tar -C ocisrc -xf bb.tar &&
	echo gone >ocisrc/etc/victim &&
	umoci init --layout oci &&
	umoci new --image oci:bb &&
	umoci unpack --image oci:bb bundle &&
	cp -a ocisrc/. bundle/rootfs/ &&
	umoci repack --image oci:bb bundle &&
	rm -rf bundle &&
	umoci insert --image oci:bb --whiteout /etc/victim &&
	umoci unpack --image oci:bb bundle &&
	mkdir bundle/rootfs/data && echo added >bundle/rootfs/data/file &&
	umoci repack --image oci:bb bundle &&
	rm -rf bundle &&
	umoci config --image oci:bb --config.env FROM_OCI=yes &&
	: the fixture itself: every layer a whole tar, one with the whiteout &&
	for b in oci/blobs/sha256/*; do
		if gzip -t "$b" 2>/dev/null; then
			gzip -dc "$b" | tar -tf - >>entries || return 1
		fi
	done &&
	test_grep -x "etc/.wh.victim" entries
'

test_expect_success ROOT,BUSYBOX,UMOCI 'pull oci:DIR:TAG' '
	id_oci=$(tk-pull oci:oci:bb) &&
	is_hex64 "$id_oci"
'

test_expect_success ROOT,BUSYBOX,UMOCI 'pull oci:DIR takes the only image' '
	id=$(tk-pull oci:oci) &&
	test "$id" = "$id_oci"
'

test_expect_success ROOT,BUSYBOX,UMOCI 'pull oci: of a tag that is not there fails' '
	test_must_fail tk-pull oci:oci:nosuchtag 2>err &&
	test_grep "^tk-pull: " err
'

test_expect_success ROOT,BUSYBOX,UMOCI 'oci: a whited-out file is gone in the container' '
	run_in "$id_oci" "test ! -e /etc/victim && test -e /etc/passwd && echo ok" >out &&
	test "$(cat out)" = ok
'

test_expect_success ROOT,BUSYBOX,UMOCI 'oci: later layers add files, config env applies' '
	run_in "$id_oci" "cat /data/file; echo \$FROM_OCI" >out &&
	printf "added\nyes\n" >expect &&
	test_cmp expect out
'

test_expect_success ROOT,BUSYBOX,UMOCI 'oci: a blob that does not match its digest is refused' '
	cp -a oci badoci &&
	big=$(ls -S badoci/blobs/sha256 | head -n 1) &&
	chmod u+w "badoci/blobs/sha256/$big" &&
	printf "X" | dd of="badoci/blobs/sha256/$big" bs=1 seek=1000 conv=notrunc 2>/dev/null &&
	ls "$TK_ROOT/layers" >layers.before &&
	test_must_fail tk-pull --root "$TRASH/badocistore" oci:badoci:bb 2>err &&
	test_grep "^tk-pull: " err
'

test_expect_success ROOT,BUSYBOX,UMOCI,SKOPEO 'docker-archive: made by skopeo from the OCI layout' '
	skopeo copy oci:oci:bb docker-archive:skopeo.tar:bb:latest >/dev/null &&
	id=$(tk-pull docker-archive:skopeo.tar) &&
	is_hex64 "$id" &&
	run_in "$id" "test ! -e /etc/victim && cat /data/file" >out &&
	echo added >expect &&
	test_cmp expect out
'

# --- docker-archive, built by hand

test_expect_success BUSYBOX,PYTHON3 'setup: a docker-archive made by hand, three layers, an opaque dir' '
	mkdir l2 &&
	mkdir l2/etc && echo second >l2/etc/second &&
	mkdir -p l2/opt/old && echo old >l2/opt/old/file &&
	tar -C l2 --numeric-owner --owner=0 --group=0 -cf layer2.tar etc opt &&
	$PYTHON - <<-\PY &&
	import io, tarfile
	with tarfile.open("layer3.tar", "w", format=tarfile.GNU_FORMAT) as tf:
	    d = tarfile.TarInfo("opt"); d.type = tarfile.DIRTYPE; d.mode = 0o755
	    tf.addfile(d)
	    tf.addfile(tarfile.TarInfo("opt/.wh..wh..opq"), io.BytesIO(b""))
	    f = tarfile.TarInfo("opt/newfile"); f.size = 4
	    tf.addfile(f, io.BytesIO(b"new\n"))
	    tf.addfile(tarfile.TarInfo("etc/.wh.motd"), io.BytesIO(b""))
	PY
	cfg=$($MKDA da.tar bb.tar layer2.tar layer3.tar --tag da:latest) &&
	is_hex64 "$cfg"
'

test_expect_success BUSYBOX,PYTHON3 'pull docker-archive: id is the config digest' '
	id_da=$(tk-pull docker-archive:da.tar) &&
	test "$id_da" = "$cfg"
'

test_expect_success BUSYBOX,PYTHON3 'docker-archive: the base layer is shared with the tar import' '
	test "$(nlayers)" -ge 2 &&
	test -d "$TK_ROOT/layers/$(sha256sum bb.tar | cut -c1-64)" &&
	test -d "$TK_ROOT/layers/$(sha256sum layer2.tar | cut -c1-64)"
'

test_expect_success ROOT,BUSYBOX,PYTHON3 'docker-archive: both layers and the config in the container' '
	run_in "$id_da" "cat /etc/second; echo \$FROM_CONFIG" >out &&
	printf "second\nyes\n" >expect &&
	test_cmp expect out
'

test_expect_success ROOT,BUSYBOX,PYTHON3 'docker-archive: an opaque whiteout hides the lower directory' '
	run_in "$id_da" "ls -A /opt; test -e /etc/motd || echo no-motd" >out &&
	printf "newfile\nno-motd\n" >expect &&
	test_cmp expect out
'

test_expect_success ROOT,BUSYBOX,PYTHON3,SKOPEO 'oci: the same image as an OCI layout (skopeo), opaque dir too' '
	skopeo copy docker-archive:da.tar oci:da-oci:da >/dev/null &&
	id=$(tk-pull oci:da-oci:da) &&
	run_in "$id" "ls -A /opt; cat /etc/second" >out &&
	printf "newfile\nsecond\n" >expect &&
	test_cmp expect out
'

test_expect_success ROOT,BUSYBOX,PYTHON3 'docker-archive: the image Cmd runs when none is given' '
	tk-run --rm "$id_da" >out &&
	echo from-docker-archive >expect &&
	test_cmp expect out
'

test_expect_success BUSYBOX,PYTHON3 'tk-rm --image keeps the layers another image still uses' '
	R="$TRASH/rmstore2" &&
	a=$(tk-pull --root "$R" --name a tar:bb.tar.gz) &&
	b=$(tk-pull --root "$R" --name b docker-archive:da.tar) &&
	test "$a" != "$b" &&
	test "$(ls -A "$R/layers" | wc -l)" = 3 &&
	tk-rm --root "$R" --image b &&
	ls -A "$R/layers" >left &&
	echo "$(sha256sum bb.tar | cut -c1-64)" >expect &&
	test_cmp expect left &&
	tk-rm --root "$R" --image a &&
	test "$(ls -A "$R/layers" | wc -l)" = 0
'

test_expect_success BUSYBOX,PYTHON3 'docker-archive: a wrong diff id is refused, nothing kept' '
	$MKDA bad-da.tar bb.tar layer2.tar --bad-diffid >/dev/null &&
	R="$TRASH/badda" &&
	test_must_fail tk-pull --root "$R" docker-archive:bad-da.tar 2>err &&
	test_grep "^tk-pull: " err &&
	test "$(tk-ls --root "$R" --images -q | wc -l)" = 0 &&
	test -z "$(tmp_left "$R" 2>/dev/null)"
'

# --- hostile archives: refused, nothing written outside, nothing kept
# (The oracle is a directory of our own: /etc/shadow may change under us
# when users are added on the machine meanwhile; only its link count is
# checked.)

test_expect_success PYTHON3 'setup: a watched directory outside the store' '
	mkdir "$TRASH/outside" &&
	echo canary >"$TRASH/outside/canary" &&
	ls -lA "$TRASH/outside" >outside.before &&
	sha256sum "$TRASH/outside/canary" >canary.sum &&
	mkdir -p "$TK_ROOT/tmp" "$TK_ROOT/layers" &&
	ls -A "$TK_ROOT/layers" >layers.before &&
	tk-ls --images -q >images.raw && sort images.raw >images.before
'

# hostile_refused KIND: pull of the KIND tarball fails, cleanly.
hostile_refused() {
	$HOSTILE "$1" "h-$1.tar" "$TRASH/outside" &&
	test_must_fail tk-pull "tar:h-$1.tar" 2>err &&
	test_grep "^tk-pull: " err &&
	nothing_escaped
}

nothing_escaped() {
	ls -lA "$TRASH/outside" >outside.after &&
	test_cmp outside.before outside.after &&
	sha256sum -c --quiet canary.sum &&
	test "$(stat -c %h "$TRASH/outside/canary")" = 1 &&
	test "$(stat -c %h /etc/shadow)" = 1 &&
	ls -A "$TK_ROOT/layers" >layers.after &&
	test_cmp layers.before layers.after &&
	tk-ls --images -q >images.raw && sort images.raw >images.after &&
	test_cmp images.before images.after &&
	test -z "$(tmp_left "$TK_ROOT")" &&
	test ! -e /abs && test ! -e /dotdot && test ! -e /inner && test ! -e /pwned
}

for kind in absolute dotdot inner-dotdot symlink-abs symlink-rel symlink-dir \
	hardlink-shadow hardlink-dotdot hardlink-canary bare-wh wh-dotdot
do
	test_expect_success PYTHON3 "hostile tar refused: $kind" "
		hostile_refused $kind
	"
done

test_expect_success PYTHON3 'hostile tar: an empty entry name is refused or harmless' '
	$HOSTILE empty-name h-empty.tar "$TRASH/outside" &&
	{ tk-pull tar:h-empty.tar >out 2>err ||
	  test_grep "^tk-pull: " err ; } &&
	ls -lA "$TRASH/outside" >outside.after &&
	test_cmp outside.before outside.after &&
	test -z "$(tmp_left "$TK_ROOT")" &&
	if test -s out; then tk-rm --image "$(cat out)"; fi
'

# SECURITY.md 29: device nodes are skipped with a warning (or refused); in
# no case does one land in the store.
test_expect_success PYTHON3 'hostile tar: device nodes never reach the store' '
	$HOSTILE device h-device.tar "$TRASH/outside" &&
	if tk-pull tar:h-device.tar >out 2>err; then
		test_grep "^tk-pull: " err &&
		test_grep -i "device" err
	else
		test_grep "^tk-pull: " err
	fi &&
	find "$TK_ROOT" \( -type b -o -type c \) ! -name ".wh.*" -print >devs &&
	for f in $(cat devs); do
		test "$(stat -c %t:%T "$f")" = 0:0 || { echo "device in store: $f"; return 1; }
	done &&
	test -z "$(tmp_left "$TK_ROOT")" &&
	if test -s out; then tk-rm --image "$(cat out)"; fi
'

test_expect_success BUSYBOX,PYTHON3 'hostile docker-archive: symlink in layer 1, write through it in layer 2' '
	mkdir sl1 && ln -s "$TRASH/outside" sl1/evil &&
	tar -C sl1 -cf sl-layer1.tar evil &&
	mkdir -p sl2/evil && echo pwned >sl2/evil/pwned &&
	tar -C sl2 -cf sl-layer2.tar evil &&
	$MKDA sl.tar bb.tar sl-layer1.tar sl-layer2.tar >/dev/null &&
	ls -A "$TK_ROOT/layers" >layers.before &&
	tk-ls --images -q >images.raw && sort images.raw >images.before &&
	{ tk-pull docker-archive:sl.tar >out 2>err; status=$?; } &&
	ls -lA "$TRASH/outside" >outside.after &&
	test_cmp outside.before outside.after &&
	test -z "$(tmp_left "$TK_ROOT")" &&
	if test $status = 0; then
		# Accepted as a directory replacing the symlink (what Docker
		# does): then it must be confined to the layer.
		test ! -e "$TRASH/outside/pwned"
	else
		test_grep "^tk-pull: " err &&
		nothing_escaped
	fi
'

test_expect_success BUSYBOX,PYTHON3 'hostile docker-archive: symlink to .. in layer 1, x/y in layer 2' '
	mkdir rl1 && ln -s ../../../../../../../../../../../../../../../..$TRASH/outside rl1/x &&
	tar -C rl1 -cf rl-layer1.tar x &&
	mkdir -p rl2/x && echo pwned >rl2/x/y &&
	tar -C rl2 -cf rl-layer2.tar x &&
	$MKDA rl.tar bb.tar rl-layer1.tar rl-layer2.tar >/dev/null &&
	{ tk-pull docker-archive:rl.tar >out 2>err || test_grep "^tk-pull: " err ; } &&
	ls -lA "$TRASH/outside" >outside.after &&
	test_cmp outside.before outside.after &&
	test ! -e "$TRASH/outside/y" &&
	test -z "$(tmp_left "$TK_ROOT")"
'

test_expect_success PYTHON3 'hostile docker-archive: a layer path that climbs out is refused' '
	$PYTHON - <<-\PY &&
	import io, json, tarfile
	with tarfile.open("climb.tar", "w") as tf:
	    m = json.dumps([{"Config": "../../../../etc/passwd", "RepoTags": [],
	                     "Layers": ["../../../../../etc/shadow"]}]).encode()
	    ti = tarfile.TarInfo("manifest.json"); ti.size = len(m)
	    tf.addfile(ti, io.BytesIO(m))
	PY
	test_must_fail tk-pull docker-archive:climb.tar 2>err &&
	test_grep "^tk-pull: " err &&
	test -z "$(tmp_left "$TK_ROOT")"
'

test_done
