#!/bin/sh
test_description='images made by umoci (repack of changed bundles) and recompressed by skopeo: tk unpacks what umoci does'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_LIB/registry-lib.sh"

test_have_registry || test_skip_all "docker-registry or skopeo not installed"
test_have_prereq BUSYBOX,UMOCI,PYTHON3 || test_skip_all "needs busybox-static, umoci and python3"

# change LAYOUT:TAG 'shell code': unpack, run the code in the rootfs, repack
# (umoci writes the differences as a new layer: whiteouts for what went).
change() {
	rm -rf "$TRASH/bundle" &&
	umoci unpack --image "$1" "$TRASH/bundle" >/dev/null &&
	(cd "$TRASH/bundle/rootfs" && sh -c "$2") &&
	umoci repack --image "$1" "$TRASH/bundle"
}

test_expect_success 'setup: helper, registry; an image built by umoci in four layers' '
	tk_setup_helper &&
	reg_start umoci &&
	R=127.0.0.1:$REG_PORT &&
	tk_build_busybox_tar bb.tar none &&
	umoci init --layout lay &&
	umoci new --image lay:img &&
	change lay:img "tar -xpf $TRASH/bb.tar &&
		mkdir -p data/keep data/gone opq &&
		echo gone >data/gone/x && echo keep >data/keep/k &&
		echo old >opq/old && echo victim >etc/victim" &&
	change lay:img "rm -rf data/gone etc/victim opq/old &&
		echo new >opq/new &&
		echo owned >data/owned && ln data/owned data/hard &&
		chown 1000:1000 data/owned && chmod 640 data/owned &&
		echo suid >data/suid && chmod 4755 data/suid &&
		mkdir data/sgid && chmod 2755 data/sgid &&
		mkdir data/by-7 && chown 7:7 data/by-7 &&
		ln -s ../data/owned data/sym && ln -s /nowhere data/dangling" &&
	change lay:img ": nothing changes: an empty layer" &&
	change lay:img "echo again >data/keep/k && mkfifo data/fifo" &&
	umoci config --image lay:img --config.cmd /bin/sh &&
	test "$(umoci stat --image lay:img --json | jq ".history | length")" -ge 4 &&
	: zstd first: skopeo reuses blobs the registry has, whatever was asked &&
	reg_push lay:img $R/u/img:zstd --dest-compress-format zstd &&
	reg_push lay:img $R/u/img:gzip &&
	for c in zstd gzip; do
		curl -s -H "Accept: application/vnd.oci.image.manifest.v1+json" \
			http://$R/v2/u/img/manifests/$c | jq -r ".layers[].mediaType" | sort -u >mt &&
		echo application/vnd.oci.image.layer.v1.tar+$c >expect &&
		test_cmp expect mt || return 1
	done
'

test_expect_success 'the umoci layers hold whiteouts, a hardlink, owners, modes' '
	m=$(jq -r ".manifests[0].digest" lay/index.json | cut -d: -f2) &&
	for d in $(jq -r ".layers[].digest" lay/blobs/sha256/$m | cut -d: -f2); do
		tar -tvzf lay/blobs/sha256/$d || return 1
	done >layers.txt &&
	test_grep "data/.wh.gone" layers.txt &&
	test_grep "etc/.wh.victim" layers.txt &&
	test_grep "link to data/" layers.txt &&
	test_grep "1000/1000" layers.txt
'

test_expect_success 'gzip: the tree tk unpacks is the one umoci unpack makes' '
	same_tree $R/u/img:gzip lay:img &&
	test_grep "^data/hard " tk.list &&
	test_grep -v "^data/gone" tk.list &&
	test_grep -v "^etc/victim " tk.list &&
	test_grep "^opq/new " tk.list &&
	test_grep -v "^opq/old " tk.list &&
	test_grep "^data/fifo 11a4 " tk.list
'

test_expect_success 'zstd (recompressed by skopeo): the same tree' '
	same_tree $R/u/img:zstd lay:img
'

test_done
