#!/bin/sh
test_description='attack table rows 10-14, 24-26: containers, paths, images, id maps, ptrace; setuid and sudo mode'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib/attack.sh"

test_have_prereq ROOT || test_skip_all "needs root (creates test users, installs the helper)"
test_have_prereq USERNS || test_skip_all "unprivileged user namespaces are disabled"
test_have_prereq BUSYBOX,JQ,PYTHON3 || test_skip_all "needs busybox-static, jq and python3"

IDMAP_OWN="sh $TEST_LIB/idmap-own.sh"

test_expect_success 'setup: helpers, members alice and bob, an image each' '
	attack_setup &&
	tk_add_user alice &&
	tk_add_user bob &&
	alice_uid=$(tk_user_uid alice) &&
	alice_home=$(tk_user_home alice) &&
	bob_home=$(tk_user_home bob) &&
	tk_build_busybox_tar "$TRASH/bb.tar.gz" && chmod 644 "$TRASH/bb.tar.gz" &&
	tk_as alice tk-pull -q --name bb "tar:$TRASH/bb.tar.gz" >/dev/null &&
	tk_as bob tk-pull -q --name bb "tar:$TRASH/bb.tar.gz" >/dev/null
'

# image_with NAME FILE KIND=TARGET...: a copy of the busybox image where
# each top-level KIND (proc, sys, dev, tmp, etc) is a symlink to TARGET.
image_with() {
	_name=$1
	shift
	"$PYTHON" - "$TRASH/bb.tar.gz" "$TRASH/$_name.tar" "$@" <<-\PY &&
	import sys, tarfile
	src, out, links = sys.argv[1], sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:])
	with tarfile.open(src) as i, tarfile.open(out, "w") as o:
	    for m in i.getmembers():
	        top = m.name.lstrip("./").split("/")[0]
	        if top in links:
	            continue
	        o.addfile(m, i.extractfile(m) if m.isfile() else None)
	    for name, target in links.items():
	        t = tarfile.TarInfo(name)
	        t.type = tarfile.SYMTYPE
	        t.linkname = target
	        o.addfile(t)
	PY
	chmod 644 "$TRASH/$_name.tar"
}

for mode in $(attack_modes); do

# Row 10: the second member works only with her own store: every way of
# naming the first member's container reads like "no such container".
test_expect_success "[$mode] row 10: member B cannot reach member A's container by name, ID, prefix or store" '
	attack_mode '$mode' &&
	tk_as alice tk-run --name web bb /bin/true &&
	aid=$(ct_id alice web) &&
	oracle_before alice bob &&
	for ref in web "$aid" "$(echo "$aid" | cut -c1-12)"; do
		test_must_fail tk_as bob tk-rm "$ref" 2>err.mine &&
		clear_error err.mine &&
		test_must_fail tk_as bob tk-rm nosuchthing 2>err.none &&
		sed "s/$ref/X/" err.mine >a && sed "s/nosuchthing/X/" err.none >b &&
		test_cmp b a || return 1
	done &&
	test_must_fail tk_as bob tk-ls --root "$alice_home/tk" -a 2>err &&
	clear_error err &&
	test_must_fail tk_as bob tk-rm --root "$alice_home/tk" web 2>err &&
	clear_error err &&
	# The helper itself: start of A container ID with a process of A
	# reads like one with a process that does not exist.
	{ tk_as alice sleep 30 & } &&
	test_wait_until 20 "test -n \"\$(our_named alice sleep)\"" &&
	apid=$(our_named alice sleep) &&
	helper_start_as bob "$aid" "$apid" 2>err.mine
	test $? = 125 &&
	helper_start_as bob "$aid" 4194303 2>err.none
	test $? = 125 &&
	test_cmp err.none err.mine &&
	kill $apid && wait &&
	# B store where containers/ID is a symlink to A directory:
	tk_as bob mkdir -p tk/containers &&
	tk_as bob ln -s "$alice_home/tk/containers/$aid" "$bob_home/tk/containers/$aid" &&
	test_must_fail tk_as bob tk-start -a "$aid" 2>err.link &&
	clear_error err.link &&
	tk_as bob rm "$bob_home/tk/containers/$aid" &&
	# A store fd that is not B own is refused as well.
	test_must_fail tk_as bob sh -c "exec 3<\"$alice_home/tk\"" 2>/dev/null &&
	test -d "$alice_home/tk/containers/$aid" &&
	oracle_after &&
	tk_as alice tk-rm web
'

test_expect_success "[$mode] row 10: member B cannot reach a running container of A through /proc" '
	attack_mode '$mode' &&
	oracle_before alice bob &&
	{ tk_as alice tk-run --rm --name busy bb /bin/sleep 1000 & } &&
	test_wait_until 20 "test -n \"\$(our_named alice sleep)\"" &&
	for p in $(_our_processes alice); do
		test_must_fail tk_as bob sh -c "exec 3</proc/$p/fd/3" 2>/dev/null &&
		test_must_fail tk_as bob sh -c "ls /proc/$p/root/" >/dev/null 2>&1 &&
		test_must_fail tk_as bob kill -0 $p 2>/dev/null || return 1
	done &&
	kill -9 $(our_named alice sleep) && wait &&
	oracle_after
'

# Row 11, at the helper itself (t0500 and t0600 cover the tools and the
# plainer names): refused by the parser (status 2), before any file access.
name256=$(printf "a%.0s" $(seq 256))
nl="a
b"
for id in ../x /etc . .. "" a/b -rf "$nl" "x,upperdir=/etc" a:b "$name256"; do
	test_expect_success "[$mode] row 11: the helper refuses container id '$id' before any file access" '
		attack_mode '$mode' &&
		oracle_before alice &&
		helper_start_as alice "$id" 2 2>err
		test $? = 2 &&
		clear_error err &&
		oracle_after
	'
done

# Row 12: the caller's own container directory, or a part of it, replaced
# with a symlink out of the store.
for what in "containers/ID=CANARY" "containers/ID/upper=CANARY/etc" \
	"containers/ID/work=CANARY/root" "containers=CANARY" \
	"layers/LAYER=CANARY/etc" "layers=/etc"
do
	test_expect_success "[$mode] row 12: $what as a symlink is refused, no host write or mount" '
		attack_mode '$mode' &&
		tk_as alice tk-run --name sl bb /bin/sh -c "echo pwned >/pwned; echo pwned >/etc/pwned" &&
		id=$(ct_id alice sl) &&
		layer=$(jq -r ".layers[0]" "$alice_home/tk/containers/$id/container.json") &&
		w="'"$what"'" &&
		path=$(echo "${w%%=*}" | sed "s/ID/$id/; s/LAYER/$layer/") &&
		dest=$(echo "${w#*=}" | sed "s|CANARY|$CANARY|") &&
		oracle_before alice &&
		tk_as alice mv "tk/$path" "tk/$path.real" &&
		tk_as alice ln -s "$dest" "tk/$path" &&
		tk_as alice tk-start -a sl 2>err
		st=$?
		tk_as alice rm "tk/$path" &&
		tk_as alice mv "tk/$path.real" "tk/$path" &&
		test $st = 125 &&
		clear_error err &&
		test ! -e /pwned && test ! -e /etc/pwned &&
		oracle_after &&
		tk_as alice tk-rm sl
	'
done

# Rows 13 and 14: images whose mount points are symlinks out of the
# container, or below a dangling symlink.
for links in "proc=/etc" "sys=/" "dev=/" "tmp=/root" "proc=CANARY/etc" \
	"dev=CANARY/newdir/dev" "etc=CANARY/newdir/etc" "sys=CANARY/newdir/sys"
do
	test_expect_success "[$mode] rows 13-14: an image with $links: refused or confined" '
		attack_mode '$mode' &&
		l=$(echo "'"$links"'" | sed "s|CANARY|$CANARY|") &&
		image_with evil "$l" &&
		tk_as alice tk-pull -q --name evil "tar:$TRASH/evil.tar" >/dev/null &&
		oracle_before alice &&
		tk_as alice tk-run --rm evil /bin/sh -c "echo pwned >/tmp/pwned; echo pwned >/proc/pwned; echo x >/sys/pwned; echo x >/dev/pwned" >out 2>err
		st=$?
		echo "exit $st" && cat out err &&
		# Refused by tk, or run with every write confined to the
		# container (the payload own errors are its business).
		if test $st != 0; then
			test $st -lt 128 &&
			test_grep "^tk-helper: \|^tk-run: \|^/bin/sh: \|^sh: " err
		fi &&
		test ! -e "$CANARY/newdir" &&
		test ! -e /pwned && test ! -e /etc/pwned && test ! -e /root/pwned &&
		test ! -e /tmp/pwned &&
		oracle_after &&
		tk_as alice tk-rm --image evil
	'
done

test_expect_success "[$mode] row 24 (mount part): from inside, no cgroup v1 mount, no write to cgroupfs" '
	attack_mode '$mode' &&
	oracle_before alice &&
	tk_as alice tk-run --rm bb /bin/sh -c "
		mkdir -p /mnt/cg &&
		if mount -t cgroup -o memory cgroup /mnt/cg 2>/dev/null; then echo MOUNTED-V1; fi
		if mount -t cgroup -o none,name=x cgroup /mnt/cg 2>/dev/null; then echo MOUNTED-NAMED; fi
		for f in /sys/fs/cgroup/cgroup.procs /sys/fs/cgroup/memory/cgroup.procs \
			/sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes; do
			if test -e \$f && echo 1 >\$f 2>/dev/null; then echo WROTE \$f; fi
		done
		true" >out 2>err &&
	test_line_count = 0 out &&
	oracle_after
'

# Row 26: nobody may read or write the helper memory while it holds
# privileges or host fds, in any phase: the probe stops it at random
# points (SIGSTOP, which the caller may send) and tries ptrace,
# /proc/PID/mem and process_vm_readv on every tk-helper of the session.
test_expect_success "[$mode] row 26: ptrace, /proc/PID/mem, process_vm_readv against the helper and the runner: EPERM" '
	attack_mode '$mode' &&
	oracle_before alice &&
	tk_as alice sh -c "
		n=0
		while test \$n -lt 12; do
			n=\$((n + 1))
			tk-run --rm bb /bin/sleep 0.2 &
			p=\$!
			sleep 0.0\$n
			kill -STOP \$p 2>/dev/null
			for h in \$(pgrep -x tk-helper -s 0); do
				kill -STOP \$h 2>/dev/null
				\"$PYTHON\" \"$TEST_LIB/ptrace-probe.py\" \$h || exit 1
				kill -CONT \$h 2>/dev/null
			done
			kill -CONT \$p 2>/dev/null
			wait \$p
		done
		# The long phase: the runner, whose memory the container first
		# process shared until its exec, waiting for the container.
		tk-run --rm bb /bin/sleep 3 &
		p=\$!
		i=0
		while ! pgrep -x sleep -s 0 >/dev/null && test \$i -lt 100; do sleep 0.1; i=\$((i + 1)); done
		test -n \"\$(pgrep -x tk-run -s 0)\" || exit 1
		for h in \$(pgrep -x tk-run -s 0); do
			\"$PYTHON\" \"$TEST_LIB/ptrace-probe.py\" \$h --must-probe || exit 1
		done
		wait \$p
	" >out 2>&1 &&
	cat out &&
	test_grep "probed" out &&
	oracle_after
'

done

# Row 25: the id maps come from the caller's own lines of /etc/subuid and
# /etc/subgid, and only the sane ones (policy.c, shadow's checks).
test_expect_success 'row 25: subordinate ranges of uid 0, count 0, overflowing, or another user are never mapped' '
	tk_add_user zed --no-subid &&
	zed=$(tk_user zed) &&
	zed_uid=$(tk_user_uid zed) &&
	alice_range=$(grep "^$(tk_user alice):" /etc/subuid | cut -d: -f2) &&
	{
	flock 9 &&
	for f in /etc/subuid /etc/subgid; do
		printf "%s\n" "$zed:0:65536" "$zed:100000:0" "$zed:4294967295:10" \
			"$zed:4294967000:1000" "$zed:-5:10" "$zed:abc:10" "$zed: 200000:10" \
			"$zed:200000:4294967295" >>$f || return 1
	done
	} 9>>"$_SUBID_LOCK" &&
	for mode in $(attack_modes); do
		attack_mode $mode &&
		if test $mode = sudo; then h="$(command -v sudo) -n -C 4 $TK_HELPER"; else h=$TK_HELPER; fi &&
		oracle_before zed &&
		tk_as zed $IDMAP_OWN uidmap $h 2>err &&
		cat "$(tk_user_home zed)/uidmap" &&
		test_line_count = 1 "$(tk_user_home zed)/uidmap" &&
		awk -v u="$zed_uid" "\$1 == 0 && \$2 == u && \$3 == 1 { f = 1 } END { exit !f }" "$(tk_user_home zed)/uidmap" &&
		! grep -w "$alice_range" "$(tk_user_home zed)/uidmap" &&
		oracle_after || return 1
	done
'

test_done
