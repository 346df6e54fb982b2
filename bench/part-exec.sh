# bench/part-exec.sh, sourced by bench/run.sh: a process in a running
# container. Each tool starts one container running `sleep` (untimed), then
# times `/bin/true` run inside it. The floor is nsenter into the runc
# container's namespaces and root: joining is all an exec has to do.

rows_begin exec "Exec: /bin/true in a running container"

bundle "$work/bundle-sleep" /bin/sleep 1000000
exec_id=tkbench-exec-$$
atexit "runc --root $work/runc delete -f $exec_id"
if runc --root "$work/runc" run -d --bundle "$work/bundle-sleep" "$exec_id" \
	</dev/null >/dev/null 2>"$work/err"; then
	row "runc exec (root)" "$per" "" runc --root "$work/runc" exec "$exec_id" /bin/true
	pid=$(runc --root "$work/runc" state "$exec_id" | jq -r .pid)
	row "nsenter (root)" "$per" "" nsenter --target "$pid" --mount --uts --ipc \
		--net --pid --cgroup --root --wd /bin/true
else
	note "runc run -d failed, runc exec and nsenter rows left out: $(head -c 300 "$work/err")"
fi

if [ "$have_tk" = 1 ] && [ -x "$tk/bin/tk-exec" ] && tk_has tk-run --detach; then
	if cid=$("$tk/bin/tk-run" --root "$tk_root" -d bench /bin/sleep 1000000 \
		</dev/null 2>"$work/err"); then
		atexit "$tk/bin/tk-rm --root $tk_root -f $cid || { $tk/bin/tk-stop --root $tk_root $cid; $tk/bin/tk-rm --root $tk_root $cid; }"
		row "tk-exec (root)" "$per" "" "$tk/bin/tk-exec" --root "$tk_root" "$cid" /bin/true
	else
		note "tk-run -d failed, tk-exec row left out: $(head -c 300 "$work/err")"
	fi
else
	note "no tk-exec or tk-run -d in this tk yet: the tk-exec row is left out"
fi

podman_setup
if [ "$have_podman" = 1 ]; then
	# shellcheck disable=SC2086
	if pid=$($podman_root run -d --network none --ulimit nofile=1024:1024 \
		--ulimit nproc=1024:1024 localhost/bench /bin/sleep 1000000 2>"$work/err"); then
		# shellcheck disable=SC2086
		row "podman exec (root)" "$slow_per" "" $podman_root exec "$pid" /bin/true
	else
		note "podman run -d failed, podman exec row left out: $(head -c 300 "$work/err")"
	fi
fi

measure "$rounds"
part_json
