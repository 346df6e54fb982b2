# bench/part-pull.sh, sourced by bench/run.sh: pull an image from a registry.
#
# A registry of bench's own (Debian's docker-registry, on 127.0.0.1, its
# config and storage in the scratch directory, stopped by pid at exit) holds
# two images made with umoci and pushed with skopeo: busybox (one small
# layer) and big (busybox and four layers of 20 MiB of random bytes, which
# gzip cannot shrink). Each pull starts from nothing: the prepare step
# (untimed) removes what the last one stored. Parts: pull-busybox, pull-big.

pull_per=$(( (pull_runs + pull_rounds - 1) / pull_rounds ))
reg_dir=$work/registry
mkdir -p "$reg_dir/data" "$work/pull"

# A free port: 127.0.0.1 only, picked from this shell's pid.
port=$(( 20000 + $$ % 20000 ))
while ss -Hltn "sport = :$port" | grep -q .; do port=$((port + 1)); done
cat >"$reg_dir/config.yml" <<EOC
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $reg_dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOC
docker-registry serve "$reg_dir/config.yml" >"$reg_dir/log" 2>&1 </dev/null &
reg_pid=$!
atexit "kill $reg_pid"
reg=127.0.0.1:$port
k=0
until curl -sf "http://$reg/v2/" >/dev/null; do
	k=$((k + 1))
	[ "$k" -lt 100 ] || die "the registry did not answer on $reg: $(tail -3 "$reg_dir/log")"
	kill -0 "$reg_pid" 2>/dev/null || die "the registry exited: $(tail -3 "$reg_dir/log")"
	sleep 0.1
done
say "registry on $reg (pid $reg_pid)"

# The images, in one OCI layout, then in the registry.
gzip -dc "$work/rootfs.tar.gz" >"$work/rootfs.tar"
umoci init --layout "$work/oci"
umoci new --image "$work/oci:busybox"
umoci raw add-layer --image "$work/oci:busybox" "$work/rootfs.tar"
umoci config --image "$work/oci:busybox" --config.cmd /bin/sh
umoci new --image "$work/oci:big"
umoci raw add-layer --image "$work/oci:big" "$work/rootfs.tar"
for l in 1 2 3 4; do
	mkdir -p "$work/layer$l/data$l"
	for f in 1 2 3 4; do
		head -c 5M /dev/urandom >"$work/layer$l/data$l/file$f"
	done
	tar -C "$work/layer$l" -cf "$work/layer$l.tar" .
	umoci raw add-layer --image "$work/oci:big" "$work/layer$l.tar"
	rm -rf "$work/layer$l" "$work/layer$l.tar"
done
umoci config --image "$work/oci:big" --config.cmd /bin/sh
rm -f "$work/rootfs.tar"
for img in busybox big; do
	skopeo copy -q --dest-tls-verify=false "oci:$work/oci:$img" \
		"docker://$reg/bench/$img:latest" || die "cannot push $img to $reg"
done

# podman pulls into storage of its own, apart from the start and exec rows.
pp="$work/podman-pull"
podman_pull="nsenter --target $pod_ns --mount podman --root $pp/root --runroot $pp/run --tmpdir $pp/tmp
	--volumepath $pp/volumes --network-config-dir $pp/net --events-backend none
	--cgroup-manager cgroupfs --runtime runc --storage-driver overlay"
podman_pull=$(printf '%s' "$podman_pull" | tr -s '\n\t' '  ')
if command -v podman >/dev/null; then
	atexit "$podman_pull rmi -a -f"
fi

# skopeo + umoci: what an OCI tool chain does to get a rootfs.
cat >"$work/pull-skopeo.sh" <<EOS
skopeo copy -q --src-tls-verify=false docker://$reg/bench/\$1:latest oci:$work/pull/sk:latest &&
umoci unpack --image $work/pull/sk:latest $work/pull/sk-bundle
EOS

tk_reg="--insecure"
tk_has tk-pull --insecure || tk_reg=
pull_part() { # IMAGE
	img=$1
	rows_begin "pull-$img" "Pull: $img ($(du -sh "$reg_dir/data" >/dev/null; \
		skopeo inspect --raw --tls-verify=false "docker://$reg/bench/$img:latest" |
		jq '[.layers[].size] | "\(length) layer\(if length == 1 then "" else "s" end), \(add / 1048576 * 10 | round / 10) MiB compressed"' -r))"
	# The floor: the manifest, then every layer at once through curl, gzip
	# and tar (the layers of these images share no file, so their order
	# does not matter).
	{
		printf 'set -e\nmkdir %s\n' "$work/pull/floor"
		printf "curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' -o /dev/null http://%s/v2/bench/%s/manifests/latest\n" "$reg" "$img"
		skopeo inspect --raw --tls-verify=false "docker://$reg/bench/$img:latest" |
			jq -r '.layers[].digest' | while IFS= read -r d; do
			printf 'curl -sf http://%s/v2/bench/%s/blobs/%s | gzip -d | tar -x -C %s &\n' \
				"$reg" "$img" "$d" "$work/pull/floor"
		done
		printf 'wait\n'
	} >"$work/pull-floor-$img.sh"

	if [ "$have_tk" = 1 ]; then
		# shellcheck disable=SC2086
		row "tk-pull (registry)" "$pull_per" "rm -rf $work/pull/tk" \
			"$tk/bin/tk-pull" --root "$work/pull/tk" -q $tk_reg "$reg/bench/$img:latest"
		row "tk-pull (oci: layout)" "$pull_per" "rm -rf $work/pull/tk" \
			"$tk/bin/tk-pull" --root "$work/pull/tk" -q "oci:$work/oci:$img"
	fi
	if command -v podman >/dev/null; then
		# shellcheck disable=SC2086
		row "podman pull" "$pull_per" "$podman_pull rmi -a -f" \
			$podman_pull pull -q --tls-verify=false "$reg/bench/$img:latest"
	fi
	row "skopeo copy + umoci unpack" "$pull_per" \
		"rm -rf $work/pull/sk $work/pull/sk-bundle" sh "$work/pull-skopeo.sh" "$img"
	row "floor (curl, gzip -d, tar -x)" "$pull_per" "rm -rf $work/pull/floor" \
		sh "$work/pull-floor-$img.sh"
	measure "$pull_rounds"
	part_json
}
pull_part busybox
pull_part big
rm -rf "$work/pull"
