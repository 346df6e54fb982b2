#!/bin/sh
test_description='slow: SIGKILL of tk-run, tk-pull and tk-rm at random points; the next command cleans up'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib/attack.sh"

test_have_prereq ROOT || test_skip_all "needs root"
test_have_prereq USERNS,BUSYBOX || test_skip_all "needs user namespaces and busybox"
SECS=${TK_SLOW_SECONDS:-60}

test_expect_success 'setup' '
	attack_setup &&
	tk_add_user alice &&
	tk_build_busybox_tar "$TRASH/bb.tar.gz" && chmod 644 "$TRASH/bb.tar.gz" &&
	tk_as alice tk-pull -q --name bb "tar:$TRASH/bb.tar.gz" >/dev/null
'

# killer SECS CMD...: as alice, start CMD again and again, SIGKILL it after
# a random 0-199 ms, for SECS seconds.
killer='
	end=$(( $(date +%s) + $1 )); shift; n=0
	while test $(date +%s) -lt $end; do
		"$@" >/dev/null 2>&1 &
		p=$!
		sleep 0.$(( $(od -An -N1 -tu1 /dev/urandom) % 20 ))
		kill -9 $p 2>/dev/null
		wait $p 2>/dev/null
		n=$((n + 1))
	done
	echo "killed $n"'

for mode in $(attack_modes); do
test_expect_success "[$mode] SIGKILL at random points: the next commands clean up, store consistent" '
	attack_mode '$mode' &&
	oracle_before alice &&
	secs=$(( SECS / 3 )) &&
	tk_as alice sh -c "$killer" sh $secs tk-run --rm bb /bin/sleep 0.1 &&
	tk_as alice sh -c "$killer" sh $secs tk-pull -q "tar:$TRASH/bb.tar.gz" &&
	tk_as alice sh -c "tk-run --name k bb /bin/true; $killer" sh $secs tk-rm k &&
	# The next commands work and clean up whatever was left.
	tk_as alice tk-run --rm bb /bin/true &&
	tk_as alice tk-pull -q "tar:$TRASH/bb.tar.gz" >/dev/null &&
	tk_as alice sh -c "tk-ls -aq | tk-rm -f -" 2>err || cat err &&
	test -z "$(tk_as alice tk-ls -aq)" &&
	test -z "$(tmp_left "$(tk_user_home alice)/tk")" &&
	oracle_after
'
done

test_done
