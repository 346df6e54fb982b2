#!/bin/sh
test_description='inputs that fuzz/ found crashing, fed to the installed tools'
. "$(dirname "$0")/test-lib.sh"

host256=$(printf 'a%.0s' $(seq 252)).io
host300=$(printf 'b%.0s' $(seq 296)).io

# fuzz/regress/lib-parsers/ref-host-256: a registry host that filled
# struct image_ref's host and was written one byte past it (lib/ref.c).
for ref in "$host256/x" "$host300/library/alpine:latest" "$host256:5000/x"; do
	test_expect_success "tk-pull refuses a registry host of ${#ref} bytes cleanly" '
		test_status 1 tk-pull "$ref" >out 2>err &&
		test_line_count = 0 out &&
		test_one_line_error err tk-pull &&
		test_grep "bad registry host\|invalid image reference" err
	'
done

test_done
