#!/bin/sh
test_description='image references: lib/ref.c (the unit, through a small C driver)'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq CC || test_skip_all "no C compiler"

test_expect_success 'setup: build the driver against lib/libtk.a' '
	cc $TK_SANFLAGS -D_GNU_SOURCE -I"$REPO/lib" -I"$REPO/helper" -o ref-test "$TEST_LIB/ref-test.c" \
		"$REPO/lib/libtk.a" &&
	test_valgrind_wrap ref-test
'

# check REF EXPECTED-LINE
check() {
	./ref-test "$1" >out &&
	echo "$2" >expect &&
	test_cmp expect out
}

H=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

test_expect_success 'Docker Hub short names' '
	check alpine "docker.io library/alpine latest - docker.io/library/alpine:latest" &&
	check alpine:3.19 "docker.io library/alpine 3.19 - docker.io/library/alpine:3.19" &&
	check team/tool "docker.io team/tool latest - docker.io/team/tool:latest" &&
	check docker.io/alpine "docker.io library/alpine latest - docker.io/library/alpine:latest" &&
	check index.docker.io/library/alpine:1 "docker.io library/alpine 1 - docker.io/library/alpine:1" &&
	check docker://busybox "docker.io library/busybox latest - docker.io/library/busybox:latest"
'

test_expect_success 'registry hosts: a dot, a port, localhost' '
	check ghcr.io/owner/app:1.2 "ghcr.io owner/app 1.2 - ghcr.io/owner/app:1.2" &&
	check 127.0.0.1:5000/team/tool:dev "127.0.0.1:5000 team/tool dev - 127.0.0.1:5000/team/tool:dev loopback" &&
	check localhost/x "localhost x latest - localhost/x:latest loopback" &&
	check localhost:5000/a/b/c "localhost:5000 a/b/c latest - localhost:5000/a/b/c:latest loopback" &&
	check "[::1]:5000/x" "[::1]:5000 x latest - [::1]:5000/x:latest loopback" &&
	check Registry.Example/x "Registry.Example x latest - Registry.Example/x:latest" &&
	check quay.io/x/y "quay.io x/y latest - quay.io/x/y:latest"
'

test_expect_success 'digests, with and without a tag' '
	check "quay.io/x/y@sha256:$H" "quay.io x/y - $H quay.io/x/y@sha256:$H" &&
	check "alpine:3@sha256:$H" "docker.io library/alpine 3 $H docker.io/library/alpine:3"
'

test_expect_success 'separators in repository names' '
	check x/a.b_c__d---e "docker.io x/a.b_c__d---e latest - docker.io/x/a.b_c__d---e:latest" &&
	./ref-test a.b_c/f >out && test_grep "bad registry host" out
'

test_expect_success 'bad references are refused' '
	for bad in "" "Alpine" "a//b" "/a" "a/" "a:" "a:-x" "a:.x" "a@sha256:12" \
		"a@md5:$H" "a@sha256:$(echo $H | tr a-f A-F)" "a__" "a___b" "-a" "a-" \
		"x.io:/a" "x.io:99999999/a" "a b" "a/b:c:d" "bad_host.io:5000:1/x" \
		"$(printf "%0300d" 0)"; do
		./ref-test "$bad" >out &&
		test_grep "^error: invalid image reference" out || return 1
	done
'

test_expect_success 'a tag of 128 characters is fine, 129 is not' '
	t=$(printf "%0128d" 7) &&
	./ref-test "a:$t" >out && test_grep -v error out &&
	./ref-test "a:${t}9" >out && test_grep "^error" out
'

test_done
