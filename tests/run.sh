#!/bin/sh
# Run the test suite under prove (TAP). `make check` calls this from the
# repository root after `make`. Arguments: test scripts to run instead of
# all of them (tests/t0100-pull.sh ...). TK_TEST_VERBOSE=1 shows the output
# of passing tests too.
cd "$(dirname "$0")/.." || exit 1
if test $# = 0; then
	set -- tests/t[0-9]*.sh
fi
# A hung container must not hang CI: each script gets 15 minutes, or
# TK_TEST_TIMEOUT seconds (the qemu VM of make check-vm is slower).
exec prove -v --exec "timeout -k 30 ${TK_TEST_TIMEOUT:-900} /bin/sh" "$@"
