#!/bin/sh
test_description='slow: the container directory swapped with a symlink (renameat2 RENAME_EXCHANGE) while the helper runs it, in a loop'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib/attack.sh"

test_have_prereq ROOT || test_skip_all "needs root"
test_have_prereq USERNS,BUSYBOX,JQ,PYTHON3 || test_skip_all "needs user namespaces, busybox, jq, python3"
SECS=${TK_SLOW_SECONDS:-60}

test_expect_success 'setup' '
	attack_setup &&
	tk_add_user alice &&
	alice_home=$(tk_user_home alice) &&
	tk_build_busybox_tar "$TRASH/bb.tar.gz" && chmod 644 "$TRASH/bb.tar.gz" &&
	tk_as alice tk-pull -q --name bb "tar:$TRASH/bb.tar.gz" >/dev/null &&
	cat >"$TRASH/swap.py" <<-\PY &&
	import ctypes, os, sys, time
	libc = ctypes.CDLL(None, use_errno=True)
	a, b, secs = sys.argv[1].encode(), sys.argv[2].encode(), float(sys.argv[3])
	end, n = time.time() + secs, 0
	while True:
	    libc.renameat2(-100, a, -100, b, 2)   # AT_FDCWD, RENAME_EXCHANGE
	    n += 1
	    if time.time() >= end:
	        break
	print("swaps", n)
	PY
	chmod 644 "$TRASH/swap.py"
'

for mode in $(attack_modes); do
for what in "containers/ID/upper=CANARY/etc" "containers/ID=CANARY" "layers/LAYER=CANARY/root" \
	"containers/ID/work=/etc"
do
	test_expect_success "[$mode] $what swapped in a loop for ${SECS}s / 4: no write or mount outside" '
		attack_mode '$mode' &&
		tk_as alice tk-run --name sw bb /bin/sh -c "echo pwned >/pwned; echo pwned >/etc/pwned" &&
		id=$(ct_id alice sw) &&
		layer=$(jq -r ".layers[0]" "$alice_home/tk/containers/$id/container.json") &&
		w="'"$what"'" &&
		path=$(echo "${w%%=*}" | sed "s/ID/$id/; s/LAYER/$layer/") &&
		dest=$(echo "${w#*=}" | sed "s|CANARY|$CANARY|") &&
		tk_as alice ln -s "$dest" "tk/$path.evil" &&
		oracle_before alice &&
		secs=$(( SECS / 4 )) &&
		{ tk_as alice "$PYTHON" "$TRASH/swap.py" "tk/$path" "tk/$path.evil" $secs >swaps & } &&
		end=$(( $(date +%s) + secs )) && runs=0 && ok=0 &&
		while test $(date +%s) -lt $end; do
			if tk_as alice tk-start -a sw >/dev/null 2>&1; then
				ok=$((ok + 1))
			fi
			runs=$((runs + 1))
		done &&
		wait &&
		echo "runs $runs, completed $ok, $(cat swaps)" &&
		# Put the tree back the right way round.
		if test -L "$alice_home/tk/$path"; then tk_as alice "$PYTHON" "$TRASH/swap.py" "tk/$path" "tk/$path.evil" 0 >/dev/null; fi &&
		test_must_fail test -L "$alice_home/tk/$path" &&
		tk_as alice rm "tk/$path.evil" &&
		test ! -e /pwned && test ! -e /etc/pwned &&
		oracle_after &&
		tk_as alice tk-rm -f sw
	'
done
done

test_done
