#!/bin/sh
test_description='bad input: one line on stderr, a non-zero exit, and nothing left behind'
. "$(dirname "$0")/test-lib.sh"

name64=$(printf 'a%.0s' $(seq 64))
name65=$(printf 'a%.0s' $(seq 65))
long_host=$(printf 'h%.0s' $(seq 100))
nl='a
b'

# bad TOOL ARG...: TOOL ARG... fails, says exactly one line on stderr,
# prefixed with the tool's name, nothing on stdout, and leaves no mount,
# container or temporary file behind.
bad() {
	_tool=$1
	mounts_snapshot snap &&
	test_must_fail "$@" >out 2>err &&
	test_line_count = 0 out &&
	test_one_line_error err "$_tool" &&
	check_no_leaks snap
}

# usage TOOL ARG...: a usage error: exit 2, "TOOL: ..." then the Try line.
usage() {
	_tool=$1
	mounts_snapshot snap &&
	test_status 2 "$@" >out 2>err &&
	test_line_count = 0 out &&
	test_line_count -le 2 err &&
	head -n 1 err >first &&
	test_grep "^$_tool: " first &&
	test_grep "Try '$_tool --help'" err &&
	check_no_leaks snap
}

test_expect_success BUSYBOX 'setup: an image' '
	tk_setup_helper &&
	tk_busybox_image busybox &&
	mkdir -p "$TK_ROOT/containers" "$TK_ROOT/tmp"
'

test_expect_success BUSYBOX 'tk-run of an unknown image' '
	bad tk-run --rm no-such-image /bin/true &&
	bad tk-run no-such-image /bin/true
'

test_expect_success BUSYBOX 'tk-run of an image given as a path' '
	bad tk-run --rm ../../etc /bin/true &&
	bad tk-run --rm /etc /bin/true
'

for n in '../x' 'A' 'a/b' "$name65" '.' '..' '-rf' 'a:b' 'x,upperdir=/etc' '_a' "$nl" ' a' 'a b'; do
	test_expect_success BUSYBOX "tk-run --name refuses '$n'" '
		bad tk-run --name "$n" "$IMG" /bin/true
	'
done

test_expect_success BUSYBOX 'tk-run --name refuses the empty name' '
	bad tk-run --name "" "$IMG" /bin/true
'

# Image names follow Docker's reference grammar (repo/name:tag, up to 255
# characters), so a/b and 65 characters are fine there (tk-pull(1)).
name256=$(printf 'a%.0s' $(seq 256))
for n in '../x' 'A' '..' 'a b' '/etc' 'a//b' '-rf' 'a:' "$name256" "$nl" 'x,upperdir=/etc'; do
	test_expect_success BUSYBOX "tk-pull --name refuses '$n'" '
		ls -A "$TK_ROOT/images" >images.before &&
		bad tk-pull --name "$n" "tar:$TRASH/busybox.tar.gz" &&
		ls -A "$TK_ROOT/images" >images.after &&
		test_cmp images.before images.after
	'
done

for n in '../x' '/etc' 'a/b' "$name65" '..'; do
	test_expect_success BUSYBOX "tk-rm refuses '$n'" '
		bad tk-rm "$n" &&
		bad tk-rm --image "$n"
	'
done

test_expect_success ROOT,BUSYBOX 'names of 1 and 64 characters, with _ . -, are fine' '
	tk-run --rm --name "$name64" "$IMG" /bin/true &&
	tk-run --rm --name 0 "$IMG" /bin/true &&
	tk-run --rm --name a_b.c-d "$IMG" /bin/true
'

for u in nosuchuser '' '-1' '1000:abc' '99999999999' '1:2:3' 'root:nosuchgroup' ' 0'; do
	test_expect_success ROOT,BUSYBOX "tk-run -u '$u' is refused" '
		test_status 125 tk-run --rm -u "$u" "$IMG" /bin/true 2>err &&
		test_one_line_error err tk-run &&
		bad tk-run --rm -u "$u" "$IMG" /bin/true
	'
done

test_expect_success BUSYBOX 'tk-run --hostname of 100 characters is refused' '
	bad tk-run --rm --hostname "$long_host" "$IMG" /bin/true
'

test_expect_success BUSYBOX 'tk-run --net with a bad value' '
	bad tk-run --rm --net bogus "$IMG" /bin/true
'

test_expect_success BUSYBOX 'tk-run --userns with a bad value' '
	bad tk-run --rm --userns bogus "$IMG" /bin/true
'

test_expect_success BUSYBOX 'tk-run -w with a relative directory' '
	bad tk-run --rm -w tmp "$IMG" /bin/true
'

test_expect_success BUSYBOX 'tk-run -e without a name' '
	bad tk-run --rm -e =x "$IMG" /bin/true
'

test_expect_success 'unknown flags are usage errors' '
	usage tk-run --bogus &&
	usage tk-pull --bogus tar:x &&
	usage tk-ls --bogus &&
	usage tk-rm --bogus x
'

test_expect_success 'tk-ls -o with an unknown format is a usage error' '
	usage tk-ls -o yaml
'

test_expect_success 'tk-pull of a reference with no transport it knows' '
	bad tk-pull "tar:" &&
	bad tk-pull "oci:" &&
	bad tk-pull "docker-archive:/nonexistent"
'

test_expect_success 'tk-rm - with a bad line on stdin' '
	printf "../x\n" >ids &&
	mounts_snapshot snap &&
	test_must_fail tk-rm - <ids 2>err &&
	test_one_line_error err tk-rm &&
	check_no_leaks snap
'

# rt/run.c dies between making the container's directory and the start
# (here: a layer that is no longer a directory). A --rm container goes
# with it, as when the helper refuses it, and the helper that tk-run
# started early is reaped, not left to init (orphans.py is the subreaper
# that would get it).
test_expect_success BUSYBOX,PYTHON3 'tk-run --rm that dies before the start: one line, no container, no helper left' '
	for l in $(ls "$TK_ROOT/layers"); do
		mv "$TK_ROOT/layers/$l" "$TK_ROOT/layers/$l.real" &&
		ln -s "$l.real" "$TK_ROOT/layers/$l" || return 1
	done &&
	mounts_snapshot snap &&
	{ "$PYTHON" "$TEST_LIB/orphans.py" tk-run --rm "$IMG" /bin/true >out 2>err; st1=$?; } &&
	{ "$PYTHON" "$TEST_LIB/orphans.py" tk-run --rm -m 64m "$IMG" /bin/true >>out 2>>err; st2=$?; } &&
	for l in $(ls "$TK_ROOT/layers" | grep -v "\.real\$"); do
		rm "$TK_ROOT/layers/$l" && mv "$TK_ROOT/layers/$l.real" "$TK_ROOT/layers/$l" || return 1
	done &&
	test "$st1 $st2" = "125 125" &&
	test_line_count = 0 out &&
	test_line_count = 2 err &&
	test_grep "^tk-run: cannot open .* in the store: Not a directory" err &&
	check_no_leaks snap
'

test_expect_success 'the runner'"'"'s own grammar (tk-monitor -- run): --user is UID[:GID], each part digits' '
	mkdir -p rtgram &&
	layer=$(printf "%064d" 0) &&
	for u in "1:" " 1" "+1" "1:+2" "1:-2" "1: 2" "1:2:3" "" ":2"; do
		rm -f rtgram/log &&
		test_status 2 tk-monitor -- run --user "$u" --layer $layer abc -- /bin/true \
			3<rtgram 4</dev/null 5<rtgram &&
		grep -q "tk-run: run: --user takes UID\[:GID\], decimal" rtgram/log || return 1
	done &&
	# A good one gets past the grammar: the store here has no containers/.
	rm -f rtgram/log &&
	test_status 125 tk-monitor -- run --user 1:2 --layer $layer abc -- /bin/true \
		3<rtgram 4</dev/null 5<rtgram &&
	grep -q "cannot open .containers. in the store" rtgram/log
'

test_done
