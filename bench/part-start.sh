# bench/part-start.sh, sourced by bench/run.sh: container start to exit.
#
# The whole life of a throw-away container running /bin/true, for every
# tool on the same busybox rootfs, and the floor (bench/floor.c).

rows_begin start "Start to exit: a throw-away container running /bin/true"

cc -O2 -Wall -Wextra -o "$work/floor" "$repo/bench/floor.c" || die "cannot build floor"
cc -O2 -Wall -Wextra -o "$work/pair" "$repo/bench/pair.c" -lm || die "cannot build pair"
mkdir -p "$work/floor-tmp"
bundle "$work/bundle-true" /bin/true
runc_id=tkbench-$$
atexit "runc --root $work/runc delete -f $runc_id"
atexit "crun --root $work/crun delete -f $runc_id"

if [ "$have_tk" = 1 ]; then
	row "tk-run (root)" "$per" "" \
		"$tk/bin/tk-run" --root "$tk_root" --rm bench /bin/true
	if tk_has tk-run --memory-max; then
		row "tk-run (root, limits)" "$per" "" "$tk/bin/tk-run" --root "$tk_root" \
			--rm --memory-max 256M --pids-max 64 bench /bin/true
	else
		note "tk-run has no --memory-max/--pids-max yet: the rows with limits are left out"
	fi
	if [ "$tk_user" = 1 ]; then
		# shellcheck disable=SC2086
		row "tk-run ($user)" "$per" "" $as_user "$tk/bin/tk-run" \
			--root "$work/home/tk" --rm bench /bin/true
		if tk_has tk-run --memory-max; then
			# shellcheck disable=SC2086
			row "tk-run ($user, limits)" "$per" "" $as_user "$tk/bin/tk-run" \
				--root "$work/home/tk" --rm --memory-max 256M --pids-max 64 \
				bench /bin/true
		fi
	fi
fi
row "bwrap (root)" "$per" "" \
	bwrap --unshare-all --bind "$rootfs" / --proc /proc --dev /dev /bin/true
if [ "$want_user" != 0 ]; then
	# shellcheck disable=SC2086
	row "bwrap ($user)" "$per" "" $as_user bwrap --unshare-all --bind "$rootfs" / \
		--proc /proc --dev /dev /bin/true
	# What setpriv itself costs, to subtract from the unprivileged rows.
	# shellcheck disable=SC2086
	row "setpriv /bin/true" "$per" "" $as_user /bin/true
fi
# Spawning a process at all, for scale.
row "/bin/true (no container)" "$per" "" /bin/true
row "runc run (root)" "$per" "" runc --root "$work/runc" run --bundle "$work/bundle-true" "$runc_id"
row "crun run (root)" "$per" "" crun --root "$work/crun" run --bundle "$work/bundle-true" "$runc_id"
podman_setup
if [ "$have_podman" = 1 ]; then
	# Root podman needs the ulimit flags here: the sandbox has no
	# CAP_SYS_RESOURCE, and podman's default limits are above our own.
	# shellcheck disable=SC2086
	row "podman run (root)" "$slow_per" "" $podman_root run --rm --network none \
		--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 localhost/bench /bin/true
fi
if [ "$want_user" != 0 ] && command -v podman >/dev/null; then
	# Rootless podman, as the same user, with runc (crun refuses hybrid
	# cgroups). Its pause process is stopped at exit, by the pid it wrote.
	upod="env HOME=$work/home XDG_RUNTIME_DIR=$work/home/run podman
		--root $work/home/podman --runroot $work/home/run/podman
		--tmpdir $work/home/run/libpod --events-backend none --runtime runc
		--cgroup-manager cgroupfs --storage-driver overlay"
	upod=$(printf '%s' "$upod" | tr -s '\n\t' '  ')
	# shellcheck disable=SC2086
	$as_user sh -c "mkdir -m 700 $work/home/run" 2>/dev/null || true
	atexit "kill \$(cat $work/home/run/libpod/pause.pid $work/home/run/libpod/tmp/pause.pid 2>/dev/null)"
	# shellcheck disable=SC2086
	if (cd "$work/home" && $as_user $upod import "$work/rootfs.tar.gz" localhost/bench) \
		>/dev/null 2>"$work/err"; then
		# shellcheck disable=SC2086
		row "podman run ($user)" "$slow_per" "" $as_user $upod run --rm \
			--network none localhost/bench /bin/true
	else
		note "rootless podman import failed, its row left out: $(head -c 300 "$work/err")"
	fi
fi
row "floor (root)" "$per" "" "$work/floor" "$rootfs" "$work/floor-tmp"

measure "$rounds"

# The goals' comparison, tk-run against bwrap, paired: the two alternate run
# by run (bench/pair.c), so both see the same load, and the mean difference
# comes with its 95% interval. The user's pair runs as the user from one
# setpriv, as a user's shell would run them: no setpriv in either time.
: >"$work/start.pairs"
pair_row() { # NAME COMMAND...: COMMAND runs pair
	pname=$1
	shift
	if (cd "$work" && "$@") >"$work/pair.out" 2>"$work/err" </dev/null; then
		jq -c --arg n "$pname" '{name: $n} + .' "$work/pair.out" >>"$work/start.pairs"
	else
		note "$pname: the paired runs failed, left out: $(head -c 400 "$work/err" | tr '\n' ' ')"
	fi
}
bw="bwrap --unshare-all --bind $rootfs / --proc /proc --dev /dev /bin/true"
if [ "$have_tk" = 1 ]; then
	# shellcheck disable=SC2086
	pair_row "tk-run (root) vs bwrap (root)" "$work/pair" "$runs" -- \
		"$tk/bin/tk-run" --root "$tk_root" --rm bench /bin/true -- $bw
	if [ "$tk_user" = 1 ]; then
		# shellcheck disable=SC2086
		pair_row "tk-run ($user) vs bwrap ($user)" $as_user "$work/pair" "$runs" -- \
			"$tk/bin/tk-run" --root "$work/home/tk" --rm bench /bin/true -- $bw
	fi
fi

# The same two pairs once more with tk's stores and bwrap's rootfs on a fresh
# ext4 made with mkfs's defaults and mounted without options (a journal, no
# discard): Debian's own layout. What the scratch filesystem above is, the
# report's machine line says; with "discard" and no journal, ext4 discards
# every freed block at once, and each tk-run --rm frees three directories
# that overlayfs makes at every mount (work/work, incompat, volatile).
# BENCH_EXT4=0 leaves these pairs out.
ext4=$work/ext4
if [ "$have_tk" = 1 ] && [ "${BENCH_EXT4:-1}" != 0 ]; then
	if truncate -s 512M "$work/ext4.img" && mkfs.ext4 -q -F "$work/ext4.img" &&
		mkdir "$ext4" && mount -o loop "$work/ext4.img" "$ext4"; then
		atexit "umount $ext4"
		chmod 0755 "$ext4"
		mkdir "$ext4/rootfs" "$ext4/home"
		tar -C "$ext4/rootfs" --numeric-owner -xpzf "$work/rootfs.tar.gz"
		chown "$user:" "$ext4/home" 2>/dev/null || true
		bw4="bwrap --unshare-all --bind $ext4/rootfs / --proc /proc --dev /dev /bin/true"
		if "$tk/bin/tk-pull" --root "$ext4/tk-root" -q --name bench \
			"tar:$work/rootfs.tar.gz" >/dev/null 2>"$work/err"; then
			# shellcheck disable=SC2086
			pair_row "tk-run (root) vs bwrap (root), default ext4" "$work/pair" "$runs" -- \
				"$tk/bin/tk-run" --root "$ext4/tk-root" --rm bench /bin/true -- $bw4
		else
			note "tk-pull on the default ext4 failed: $(head -c 300 "$work/err")"
		fi
		# shellcheck disable=SC2086
		if [ "$tk_user" = 1 ] && (cd "$ext4/home" && $as_user env HOME="$ext4/home" "$tk/bin/tk-pull" \
			--root "$ext4/home/tk" -q --name bench "tar:$work/rootfs.tar.gz") \
			>/dev/null 2>"$work/err"; then
			# shellcheck disable=SC2086
			pair_row "tk-run ($user) vs bwrap ($user), default ext4" $as_user "$work/pair" "$runs" -- \
				"$tk/bin/tk-run" --root "$ext4/home/tk" --rm bench /bin/true -- $bw4
		elif [ "$tk_user" = 1 ]; then
			note "tk-pull as $user on the default ext4 failed: $(head -c 300 "$work/err")"
		fi
	else
		note "cannot make and mount a default ext4 in $work: its pairs are left out"
	fi
fi
jq --slurpfile p "$work/start.pairs" '. + {pairs: $p}' "$work/start.json" >"$work/start.json.new"
mv "$work/start.json.new" "$work/start.json"
part_json
