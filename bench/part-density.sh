# bench/part-density.sh, sourced by bench/run.sh: many containers, one store.
#
# BENCH_DENSITY (100) containers started one after another, detached and
# kept running (tk-run -d, sleep): total time, the memory of the processes
# each one keeps (monitor and its runner, a cgroup reaper with limits), tk-ls with them running. Then as many
# stopped ones (tk-run, /bin/true, no --rm) and ten times as many: tk-ls -a,
# and disk bytes per container. As root.

rows_begin density "Density: $density containers in one store, and $((density * 10)) stopped"
: >"$work/density.metrics"
metric() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$work/density.metrics"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# tk-ls timing: the median of hyperfine's runs, in ms.
ls_ms() { # STORE ARG...
	s=$1
	shift
	hyperfine -N --style none --warmup 3 --runs 20 --prepare "${LS_PREPARE:-true}" \
		--export-json "$work/ls.json" "$tk/bin/tk-ls --root $s $*" >/dev/null 2>&1 ||
		{ echo "failed"; return 0; }
	jq '.results[0].median * 1000 * 100 | round / 100' "$work/ls.json"
}
# per-process memory of the new processes named NAME: count, median RSS and
# PSS in KiB (PSS shares each page among the processes that map it); WHAT
# names them in the table (default: "of these containers").
mem_of() { # NAME PIDFILE [WHAT]
	: >"$work/mem"
	while IFS= read -r p; do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$1" ] || continue
		r=$(awk '/^VmRSS/ { print $2 }' "/proc/$p/status" 2>/dev/null) || r=
		s=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null) || s=
		[ -n "$r" ] && printf '%s %s\n' "$r" "${s:-0}" >>"$work/mem"
	done <"$2"
	n=$(wc -l <"$work/mem")
	[ "$n" -gt 0 ] || return 0
	rmed=$(sort -n "$work/mem" | awk -v n="$n" 'NR == int((n + 1) / 2) { print $1 }')
	pmed=$(sort -k2n "$work/mem" | awk -v n="$n" 'NR == int((n + 1) / 2) { print $2 }')
	metric "$1 processes (${3:-of these containers})" "$n" ""
	metric "$1 RSS, median${3:+ ($3)}" "$rmed" KiB
	metric "$1 PSS, median${3:+ ($3)}" "$pmed" KiB
}

if [ "$have_tk" = 1 ]; then
	dstore=$work/density-tk
	"$tk/bin/tk-pull" --root "$dstore" -q --name bench "tar:$work/rootfs.tar.gz" >/dev/null

	# Detached: needs tk-run -d.
	if tk_has tk-run --detach; then
		for p in /proc/[0-9]*; do echo "${p#/proc/}"; done | sort >"$work/pids.before"
		: >"$work/density.ids"
		atexit "while read -r i; do $tk/bin/tk-rm --root $dstore -f \$i; done <$work/density.ids"
		t0=$(now_ms)
		k=0
		while [ "$k" -lt "$density" ]; do
			"$tk/bin/tk-run" --root "$dstore" -d bench /bin/sleep 1000000 \
				</dev/null >>"$work/density.ids" 2>"$work/err" ||
				{ note "tk-run -d failed at container $k: $(head -c 300 "$work/err")"; break; }
			k=$((k + 1))
		done
		t1=$(now_ms)
		metric "start $k detached containers (tk-run -d, one after another)" "$((t1 - t0))" ms
		[ "$k" -gt 0 ] && metric "start, per detached container" "$(( (t1 - t0) / k ))" ms
		sleep 1
		for p in /proc/[0-9]*; do echo "${p#/proc/}"; done | sort >"$work/pids.after"
		# Only ours: new processes whose command line names one of our
		# containers (the monitors, the runners they fork), and their
		# children, so the tests of other checkouts running at the same
		# time are not counted.
		comm -13 "$work/pids.before" "$work/pids.after" >"$work/pids.cand"
		cut -c1-12 "$work/density.ids" >"$work/ids.short"
		: >"$work/pids.new"
		for pass in 1 2 3; do
			while IFS= read -r p; do
				grep -qx "$p" "$work/pids.new" && continue
				pp=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || pp=
				if tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" |
					grep -qFf "$work/ids.short" ||
					{ [ -n "$pp" ] && grep -qx "$pp" "$work/pids.new"; }; then
					echo "$p" >>"$work/pids.new"
				fi
			done <"$work/pids.cand"
		done
		mem_of tk-monitor "$work/pids.new"
		mem_of tk-helper "$work/pids.new"
		mem_of sleep "$work/pids.new"
		metric "tk-ls with $k running" "$(ls_ms "$dstore")" ms
		t0=$(now_ms)
		while read -r i; do
			"$tk/bin/tk-rm" --root "$dstore" -f "$i" >/dev/null 2>"$work/err" ||
				note "tk-rm -f $i failed: $(head -c 200 "$work/err")"
		done <"$work/density.ids"
		t1=$(now_ms)
		: >"$work/density.ids"
		metric "tk-rm -f of $k running containers, one after another" "$((t1 - t0))" ms
		# One alone: what a single detached container keeps, with no
		# other monitor to share its pages with.
		if one=$("$tk/bin/tk-run" --root "$dstore" -d bench /bin/sleep 1000000 \
			</dev/null 2>"$work/err"); then
			echo "$one" >"$work/density.ids"
			sleep 1
			: >"$work/pids.one"
			for p in /proc/[0-9]*; do
				tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF "$(printf %.12s "$one")" &&
					echo "${p#/proc/}" >>"$work/pids.one"
			done
			mem_of tk-monitor "$work/pids.one" "one detached container alone"
			"$tk/bin/tk-rm" --root "$dstore" -f "$one" >/dev/null 2>&1
			: >"$work/density.ids"
		else
			note "tk-run -d of one container failed: $(head -c 300 "$work/err")"
		fi
	else
		note "tk-run has no -d/--detach yet: the detached containers are left out (start, monitor memory, tk-ls of running ones)"
	fi

	# Stopped containers: tk-run without --rm, /bin/true.
	made=0
	make_stopped() { # UP-TO
		t0=$(now_ms)
		while [ "$made" -lt "$1" ]; do
			"$tk/bin/tk-run" --root "$dstore" bench /bin/true </dev/null \
				>/dev/null 2>"$work/err" ||
				{ note "tk-run failed at container $made: $(head -c 300 "$work/err")"; return 0; }
			made=$((made + 1))
		done
		t1=$(now_ms)
	}
	make_stopped "$density"
	metric "start and exit $made containers (tk-run, no --rm, one after another)" "$((t1 - t0))" ms
	metric "tk-ls -a with $made stopped" "$(ls_ms "$dstore" -a)" ms
	metric "tk-ls (running only) with $made stopped" "$(ls_ms "$dstore")" ms
	alloc=$(du -s -B1 "$dstore/containers" | cut -f1)
	appar=$(du -s -b "$dstore/containers" | cut -f1)
	files=$(find "$dstore/containers" -mindepth 1 | wc -l)
	metric "disk per stopped container, allocated" "$((alloc / made))" bytes
	metric "disk per stopped container, apparent size" "$((appar / made))" bytes
	metric "files and directories per stopped container" "$((files / made))" ""
	make_stopped "$((density * 10))"
	metric "tk-ls -a with $made stopped" "$(ls_ms "$dstore" -a)" ms
	# The first listing after a change reads what changed and writes
	# tk-ls's cache: the worst case, the cache removed before each run.
	metric "tk-ls -a with $made stopped, no cache (removed before each run)" \
		"$(LS_PREPARE="rm -f $dstore/ls-cache" ls_ms "$dstore" -a)" ms
	metric "tk-ls -a -q with $made stopped" "$(ls_ms "$dstore" -a -q)" ms
	metric "tk-ls (running only) with $made stopped" "$(ls_ms "$dstore")" ms
	rm -rf --one-file-system "$dstore"
else
	note "tk not built: nothing to measure"
fi

jq -R 'split("\t") | { name: .[0], value: (.[1] | tonumber? // .), unit: .[2] }' \
	"$work/density.metrics" | jq -s '{ metrics: . }' >"$work/density.json"
printf '%s\n' "detached" "stopped" "list" "remove" >"$work/density.names"
printf '%s\n' "tk-run --root \$STORE -d bench /bin/sleep 1000000" \
	"tk-run --root \$STORE bench /bin/true" "tk-ls --root \$STORE [-a] [-q]" \
	"tk-rm --root \$STORE -f ID" >"$work/density.cmds"
part_json
