#!/bin/sh
test_description='every tool: --help, usage errors, the tk front door'
. "$(dirname "$0")/test-lib.sh"

TOOLS='tk tk-pull tk-run tk-ls tk-rm'

for t in $TOOLS; do
	test_expect_success "$t --help prints usage to stdout and exits 0" "
		test_status 0 $t --help >out 2>err &&
		test -s out &&
		test_grep -i 'usage' out &&
		test_line_count = 0 err
	"

	test_expect_success "$t with an unknown flag is a usage error (exit 2)" "
		test_status 2 $t --no-such-flag >out 2>err &&
		test_line_count = 0 out &&
		test_line_count -le 2 err &&
		head -n 1 err >first &&
		test_grep '^$t: ' first &&
		test_grep \"Try '$t --help'\" err
	"

	test_expect_success "$t: an unknown short flag is a usage error (exit 2)" "
		test_status 2 $t -Z >out 2>err &&
		test_line_count = 0 out &&
		test_line_count -le 2 err &&
		test_grep \"Try '$t --help'\" err
	"

	test_expect_success "$t --help to a full disk fails" "
		test_must_fail $t --help >/dev/full 2>err
	"
done

for t in tk tk-pull tk-run tk-rm; do
	test_expect_success "$t without its operand is a usage error" "
		test_status 2 $t >out 2>err &&
		test_line_count = 0 out &&
		test_grep '^$t: ' err &&
		test_grep \"Try '$t --help'\" err
	"
done

test_expect_success 'tk-ls takes no operands' '
	test_status 2 tk-ls extra >out 2>err &&
	test_grep "^tk-ls: " err
'

test_expect_success 'tk-run: an option that needs a value, at the end' '
	test_status 2 tk-run --name >out 2>err &&
	test_grep "^tk-run: " err
'

test_expect_success 'tk-ls on a fresh store lists nothing and succeeds' '
	tk-ls -q >out 2>err &&
	test_line_count = 0 out &&
	tk-ls -a -q >out &&
	test_line_count = 0 out &&
	tk-ls --images -q >out &&
	test_line_count = 0 out
'

test_expect_success 'tk-ls --root uses the given store' '
	tk-ls --root "$TRASH/other" -a -q >out &&
	test_line_count = 0 out
'

test_expect_success 'tk with an unknown command fails with a message' '
	test_must_fail tk no-such-command >out 2>err &&
	test_line_count = 0 out &&
	test_grep "^tk: " err &&
	test_grep "no-such-command" err
'

test_expect_success 'tk COMMAND runs tk-COMMAND (help)' '
	for c in pull run ls rm; do
		tk $c --help >a &&
		tk-$c --help >b &&
		test_cmp b a || return 1
	done
'

test_expect_success 'tk ps is tk ls, tk images is tk-ls --images' '
	tk ps -a -q >a &&
	tk-ls -a -q >b &&
	test_cmp b a &&
	tk images -q >a &&
	tk-ls --images -q >b &&
	test_cmp b a
'

test_expect_success 'tk rmi is tk-rm --image' '
	test_must_fail tk rmi no-such-image 2>err &&
	test_grep "no-such-image" err
'

test_expect_success 'tk passes the exit status of the tool through' '
	test_status 2 tk ls --no-such-flag 2>err
'

# SECURITY.md 2 and 31: the privileged code stays small and links libc only
# (a SANITIZE=1 test build links the sanitizers' runtime too).
test_expect_success 'the helper stays smaller than bubblewrap.c (2396 lines of code)' '
	n=$(sh "$REPO/scripts/helper-lines.sh") &&
	echo "helper: $n lines" &&
	test "$n" -gt 1000 &&
	test "$n" -lt 2396
'

test_expect_success 'the helper is static-pie: no loader, no library, hardened' '
	LC_ALL=C readelf -d -l -h "$REPO/helper/tk-helper" >elf &&
	test_grep "Position-Independent Executable" elf &&
	test_grep "GNU_RELRO" elf &&
	test_grep "(FLAGS).*BIND_NOW" elf &&
	{ test -n "$TK_SANFLAGS" || ! grep -e "(NEEDED)" -e "INTERP" elf; }
'

test_done
