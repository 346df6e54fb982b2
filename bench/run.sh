#!/bin/sh
# bench/run.sh: tk against runc, crun, bubblewrap, podman and a floor of
# bench/'s own, side by side in one run, on this machine. Needs root. Called
# by `make bench` after `make`; bench/README.md says how to read the result.
#
# Parts (BENCH_ONLY="start exec pull density", the default, runs them all):
#   start    container start to exit (bench/part-start.sh)
#   exec     a process in a running container (bench/part-exec.sh)
#   pull     an image from a local registry (bench/part-pull.sh)
#   density  many containers: start, monitor RSS, tk-ls, disk (part-density.sh)
# Peak RSS of every timed command is measured in each part (BENCH_RSS_RUNS).
#
# Environment:
#   BENCH_ONLY=PARTS   the parts to run, space or comma separated
#   BENCH_RUNS=200     timed runs per fast command (in total, over all rounds)
#   BENCH_SLOW_RUNS=20 timed runs per slow command (podman) in start and exec
#   BENCH_ROUNDS=10    hyperfine invocations; each runs every command of a
#                      part in turn, so slow drift on a noisy machine hits all
#                      commands alike
#   BENCH_WARMUP=20    warm-up runs per fast command (in total)
#   BENCH_PULL_RUNS=10 timed pulls per command and image (BENCH_PULL_ROUNDS=5)
#   BENCH_DENSITY=100  detached containers; tk-ls is also timed at 10x this
#   BENCH_RSS_RUNS=3   /usr/bin/time -v runs per command for peak RSS (0: none)
#   BENCH_USER=0       skip the unprivileged rows (no user is created)
#   BENCH_USER_NAME    the unprivileged user (default tkbench; must not exist)
#   BENCH_OUT=DIR      where results go (default bench/results)
#   BENCH_TMP=DIR      where the scratch directory goes (default /var/tmp)
#   BENCH_TK=DIR       the tk tree whose bin/ and helper/ are measured (this one)
#
# No timing assertion anywhere: this measures, it does not judge.
set -eu

prog=bench
say() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { say "$*"; exit 1; }

repo=$(cd "$(dirname "$0")/.." && pwd)
tk=${BENCH_TK:-$repo}
tk=$(cd "$tk" && pwd)
parts=$(printf '%s' "${BENCH_ONLY:-start exec pull density}" | tr ',' ' ')
runs=${BENCH_RUNS:-200}
slow_runs=${BENCH_SLOW_RUNS:-20}
rounds=${BENCH_ROUNDS:-10}
warmup=${BENCH_WARMUP:-20}
pull_runs=${BENCH_PULL_RUNS:-10}
pull_rounds=${BENCH_PULL_ROUNDS:-5}
density=${BENCH_DENSITY:-100}
rss_runs=${BENCH_RSS_RUNS:-3}
want_user=${BENCH_USER:-1}
user=${BENCH_USER_NAME:-tkbench}
out=${BENCH_OUT:-$repo/bench/results}

[ "$(id -u)" = 0 ] || die "needs root (it compares runtimes as root; sudo make bench)"
for p in $parts; do
	[ -f "$repo/bench/part-$p.sh" ] ||
		die "no part '$p' (BENCH_ONLY takes: start exec pull density)"
done

# Tools. Installed through apt only when missing; crun only to find out
# whether it runs here (it refuses hybrid cgroups).
missing=
for t in hyperfine:hyperfine bwrap:bubblewrap runc:runc crun:crun jq:jq cc:gcc \
	podman:podman skopeo:skopeo umoci:umoci docker-registry:docker-registry \
	curl:curl newuidmap:uidmap nsenter:util-linux; do
	command -v "${t%%:*}" >/dev/null || missing="$missing ${t#*:}"
done
[ -x /bin/busybox ] || missing="$missing busybox-static"
[ -x /usr/bin/time ] || missing="$missing time"
if [ -n "$missing" ]; then
	say "installing:$missing"
	# shellcheck disable=SC2086
	apt-get install -y --no-install-recommends $missing >&2 ||
		say "cannot install all of:$missing (the rows that need them are left out)"
fi

per=$(( (runs + rounds - 1) / rounds ))
slow_per=$(( (slow_runs + rounds - 1) / rounds ))
wper=$(( (warmup + rounds - 1) / rounds ))
[ "$per" -ge 2 ] && [ "$slow_per" -ge 1 ] ||
	die "BENCH_RUNS/BENCH_ROUNDS must be at least 2 (hyperfine)"

umask 022
work=$(mktemp -d "${BENCH_TMP:-/var/tmp}/tk-bench.XXXXXX")
chmod 0755 "$work"
made_user=
made_group=
user_recs=
subid=1700000000-1700065535
: >"$work/atexit"

# atexit COMMAND: run COMMAND (a shell line) at exit, last registered first.
atexit() { printf '%s\n' "$*" >>"$work/atexit"; }

cleanup() {
	set +e
	if [ -s "$work/atexit" ]; then
		tac "$work/atexit" >"$work/atexit.rev"
		while IFS= read -r line; do
			sh -c "$line" >/dev/null 2>&1 </dev/null || say "cleanup failed: $line"
		done <"$work/atexit.rev"
	fi
	if [ -n "$made_user" ]; then
		usermod --del-subuids "$subid" --del-subgids "$subid" "$user" 2>/dev/null
		userdel "$user" 2>/dev/null || say "cannot remove user $user"
		# The helper removes a user's stale run records lazily, at its next
		# start: the user is gone, so take the directory it made for them.
		[ -n "$user_recs" ] && rm -rf "$user_recs"
	fi
	# Others (tests, quickstart) may have joined the group meanwhile: remove
	# it only if it is still empty.
	if [ -n "$made_group" ]; then
		case $(getent group tk) in
		*:) groupdel tk || say "cannot remove group tk" ;;
		?*) say "group tk has members now: leaving it" ;;
		esac
	fi
	# --one-file-system: never follow a mount a failed run left behind.
	rm -rf --one-file-system "$work" || say "left '$work' behind"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# podman makes /run/containers/networks and /run/crun, and crun /run/crun,
# whatever their flags say: take them away again if they were not there.
for d in /run/containers /run/crun; do
	if [ ! -e "$d" ]; then atexit "rm -rf $d"; fi
done

# Notes go with the part being run ("setup" before any).
part=setup
note() { printf '%s\n' "$*" >>"$work/$part.notes"; }
: >"$work/setup.notes"

# The rootfs: the project's own busybox image, unpacked once. bwrap and runc
# use the directory, tk imports the tarball, floor overlays the directory.
sh "$repo/scripts/mkimage-busybox.sh" "$work/rootfs.tar.gz" ||
	die "cannot make the busybox image"
rootfs=$work/rootfs
mkdir "$rootfs"
tar -C "$rootfs" --numeric-owner -xpzf "$work/rootfs.tar.gz"

# runc (and crun) bundles: runc's default spec, a writable root, and ARGS.
# No cgroupsPath, so runc nests its cgroup under ours and removes it on exit.
bundle() { # DIR ARG...
	dir=$1
	shift
	mkdir "$dir"
	(cd "$dir" && runc spec)
	jq --arg r "$rootfs" --argjson a "$(for a in "$@"; do printf '%s\n' "$a"; done | jq -R . | jq -sc .)" \
		'.process.args = $a | .process.terminal = false
		| .root.path = $r | .root.readonly = false | del(.linux.cgroupsPath)' \
		"$dir/config.json" >"$dir/config.new"
	mv "$dir/config.new" "$dir/config.json"
}

# The unprivileged user: group tk, a subordinate id range, and a copy of the
# helper installed as `make install` would (root:tk 4750) where it can reach.
as_user=
if [ "$want_user" != 0 ]; then
	if getent passwd "$user" >/dev/null; then
		note "user $user exists already: unprivileged rows left out (set BENCH_USER_NAME)"
		want_user=0
	else
		getent group tk >/dev/null || { groupadd --system tk && made_group=1; }
		useradd --no-create-home --home-dir "$work/home" --shell /bin/sh \
			--groups tk "$user" && made_user=1
		uid=$(id -u "$user")
		[ -e "/run/tk/$uid" ] || user_recs=/run/tk/$uid
		usermod --add-subuids "$subid" --add-subgids "$subid" "$user"
		mkdir "$work/home" && chown "$user:" "$work/home"
		as_user="setpriv --reuid=$user --regid=$user --init-groups"
	fi
fi

# tk: the helper, and the busybox image in a store of root's (and the user's).
tk_root=$work/tk-root
helper=$tk/helper/tk-helper
have_tk=0
if [ -x "$tk/bin/tk-run" ] && [ -x "$tk/bin/tk-pull" ] && [ -x "$helper" ]; then
	if [ "$want_user" != 0 ]; then
		mkdir "$work/helper"
		cp "$helper" "$work/helper/tk-helper"
		chown root:tk "$work/helper/tk-helper"
		chmod 4750 "$work/helper/tk-helper"
		helper=$work/helper/tk-helper
	fi
	export TK_HELPER="$helper"
	if id=$("$tk/bin/tk-pull" --root "$tk_root" -q --name bench \
		"tar:$work/rootfs.tar.gz" 2>"$work/err"); then
		say "tk image (root): $id"
		have_tk=1
	else
		note "tk-pull (root) failed, tk rows left out: $(head -c 300 "$work/err")"
	fi
else
	note "tk not built (bin/tk-run, bin/tk-pull, helper/tk-helper): tk rows left out"
fi
tk_user=0
if [ "$have_tk" = 1 ] && [ "$want_user" != 0 ]; then
	# shellcheck disable=SC2086
	if id=$(cd "$work/home" && $as_user env HOME="$work/home" \
		"$tk/bin/tk-pull" --root "$work/home/tk" -q --name bench \
		"tar:$work/rootfs.tar.gz" 2>"$work/err"); then
		say "tk image ($user): $id"
		tk_user=1
	else
		note "tk-pull as $user failed, its rows left out: $(head -c 300 "$work/err")"
	fi
fi
# tk_has TOOL WORD: TOOL exists and its --help mentions WORD.
tk_has() {
	[ -x "$tk/bin/$1" ] && "$tk/bin/$1" --help 2>&1 | grep -q -e "$2"
}

# podman's overlay driver mounts its storage directory on itself in the
# mount namespace it runs in, where tests running on this machine at the same
# time would see a new mount. So podman (as root) runs in a mount namespace
# of bench's own, held by a sleeping process that is stopped at exit (after
# podman's containers, which the line registered later removes first).
pod_ns=
if command -v podman >/dev/null; then
	unshare --mount --propagation private sleep 1000000 </dev/null >/dev/null 2>&1 &
	pod_ns=$!
	atexit "kill $pod_ns"
	k=0
	until [ "$(readlink "/proc/$pod_ns/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]; do
		k=$((k + 1))
		[ "$k" -lt 100 ] || die "cannot make a mount namespace for podman"
		sleep 0.05
	done
fi

# podman, as root, with all its state in the scratch directory: its own
# storage, run and tmp directories, no events log, no network (tk's default
# is loopback only, and podman's bridge would set up the host's firewall).
pod_dir=$work/podman
podman_root="nsenter --target $pod_ns --mount podman --root $pod_dir/root --runroot $pod_dir/run --tmpdir $pod_dir/tmp
	--volumepath $pod_dir/volumes --network-config-dir $pod_dir/net
	--events-backend none --cgroup-manager cgroupfs --runtime runc
	--storage-driver overlay"
podman_root=$(printf '%s' "$podman_root" | tr -s '\n\t' '  ')
have_podman=0
podman_setup() { # once, for the parts that use it
	[ "$have_podman" = 0 ] || return 0
	have_podman=2
	command -v podman >/dev/null || { note "podman not installed: its rows left out"; return 0; }
	mkdir -p "$pod_dir"
	atexit "$podman_root rm -a -f -t 0; $podman_root rmi -a -f"
	# shellcheck disable=SC2086
	if $podman_root import "$work/rootfs.tar.gz" localhost/bench \
		>/dev/null 2>"$work/err"; then
		have_podman=1
	else
		note "podman import failed, podman rows left out: $(head -c 300 "$work/err")"
	fi
}

# --- rows: each part lists its commands, then measures them -------------
#
# row NAME PER PREP COMMAND...: a row of the current part, PER timed runs per
# round, PREP a shell line run before each timed run (empty for none). Each
# command is tried once first; one that fails is left out of the table with
# its error in the notes, so one broken runtime does not hide the others.
# hyperfine -N runs COMMAND without a shell, so its words must not need
# quoting (the scratch paths do not).
rows_begin() { # PART TITLE
	part=$1
	printf '%s\n' "$2" >"$work/$part.title"
	: >"$work/$part.names"
	: >"$work/$part.cmds"
	: >"$work/$part.per"
	: >"$work/$part.preps"
	touch "$work/$part.notes"
	say "part $part: $2"
}
row() {
	name=$1 rper=$2 prep=$3
	shift 3
	[ -n "$prep" ] || prep=true
	if (cd "$work" && sh -c "$prep" && "$@") >/dev/null 2>"$work/err" </dev/null; then
		printf '%s\n' "$name" >>"$work/$part.names"
		printf '%s\n' "$*" >>"$work/$part.cmds"
		printf '%s\n' "$rper" >>"$work/$part.per"
		n=$(wc -l <"$work/$part.names")
		printf '%s\n' "$prep" >"$work/$part.prep-$n.sh"
		printf '%s\n' "$work/$part.prep-$n.sh" >>"$work/$part.preps"
	else
		note "$name failed ($*), left out: $(head -c 400 "$work/err" | tr '\n' ' ')"
	fi
}

# measure ROUNDS: run the part's rows, interleaved: every round runs one
# hyperfine per group of rows with the same PER, each command in turn. Then
# merge the rounds into $part.json and add peak RSS.
measure() {
	mrounds=$1
	if [ ! -s "$work/$part.names" ]; then
		printf '{"results": []}\n' >"$work/$part.json"
		return 0
	fi
	r=1
	while [ "$r" -le "$mrounds" ]; do
		say "$part: round $r/$mrounds"
		for g in $(sort -un "$work/$part.per"); do
			# A --prepare for every command, or none when no row of the
			# group needs one.
			haveprep=0
			while IFS= read -r p <&5 && IFS= read -r prep <&6; do
				if [ "$p" = "$g" ] && [ "$(cat "$prep")" != true ]; then
					haveprep=1
				fi
			done 5<"$work/$part.per" 6<"$work/$part.preps"
			set --
			while IFS= read -r name <&3 && IFS= read -r cmd <&4 &&
				IFS= read -r p <&5 && IFS= read -r prep <&6; do
				[ "$p" = "$g" ] || continue
				set -- "$@" -n "$name" "$cmd"
				if [ "$haveprep" = 1 ]; then
					set -- "$@" --prepare "sh $prep"
				fi
			done 3<"$work/$part.names" 4<"$work/$part.cmds" \
				5<"$work/$part.per" 6<"$work/$part.preps"
			# Slow groups (few runs a round) warm up in the first round only.
			gw=$wper
			if [ "$g" -lt 10 ]; then gw=$(( r == 1 ? 1 : 0 )); fi
			(cd "$work" && hyperfine -N --style none --warmup "$gw" --runs "$g" \
				--export-json "$work/$part.round-$r-$g.json" "$@") >/dev/null ||
				die "hyperfine failed in $part round $r"
		done
		r=$((r + 1))
	done
	rss
	jq -s --argjson order "$(jq -R . "$work/$part.names" | jq -sc .)" \
		--argjson rss "$(jq -R 'split("\t") | {(.[0]): (.[1] | tonumber)}' \
			"$work/$part.rss" | jq -sc 'add // {}')" '
		def median: sort | if length % 2 == 1 then .[length / 2 | floor]
			else (.[length / 2 - 1] + .[length / 2]) / 2 end;
		def mean: add / length;
		def sd: mean as $m | if length < 2 then 0
			else (map((. - $m) * (. - $m)) | add / (length - 1) | sqrt) end;
		[.[].results[]] | group_by(.command) as $g
		| { results: [ $g[] | (map(.times) | add) as $t | {
			command: .[0].command,
			runs: ($t | length),
			median: ($t | median), mean: ($t | mean), stddev: ($t | sd),
			min: ($t | min), max: ($t | max),
			user: (map(.user) | mean), system: (map(.system) | mean),
			peak_rss_kb: $rss[.[0].command],
			times: $t } ] }
		| .results |= (. as $r | [ $order[] as $n | $r[] | select(.command == $n) ])' \
		"$work/$part".round-*.json >"$work/$part.json"
}

# Peak RSS: the largest resident set of any process of the command that its
# caller waits for (GNU time's "Maximum resident set size"), the most of
# BENCH_RSS_RUNS runs. Daemonized processes (podman's conmon) are not seen.
rss() {
	: >"$work/$part.rss"
	[ "$rss_runs" -gt 0 ] || return 0
	while IFS= read -r name <&3 && IFS= read -r cmd <&4 && IFS= read -r prep <&6; do
		max=0
		k=0
		while [ "$k" -lt "$rss_runs" ]; do
			# shellcheck disable=SC2086
			if (cd "$work" && sh "$prep" && /usr/bin/time -f %M -o "$work/rss.out" \
				$cmd) >/dev/null 2>&1 </dev/null; then
				kb=$(tail -1 "$work/rss.out")
				if [ "$kb" -gt "$max" ]; then max=$kb; fi
			fi
			k=$((k + 1))
		done
		if [ "$max" -gt 0 ]; then
			printf '%s\t%s\n' "$name" "$max" >>"$work/$part.rss"
		fi
	done 3<"$work/$part.names" 4<"$work/$part.cmds" 6<"$work/$part.preps"
	return 0
}

# Paths in what is written out: $WORK and $TK, not this run's scratch names.
scrub() { sed "s|$work|\$WORK|g; s|$tk|\$TK|g; s|$repo|\$TK|g"; }

# part_json: the part's title, rows, commands and notes in one object.
part_json() {
	jq -n --slurpfile r "$work/$part.json" --arg part "$part" \
		--arg title "$(cat "$work/$part.title")" \
		--argjson names "$(jq -R . "$work/$part.names" | jq -sc .)" \
		--argjson cmds "$(scrub <"$work/$part.cmds" | jq -R . | jq -sc .)" \
		--argjson notes "$(scrub <"$work/$part.notes" | jq -R . | jq -sc .)" \
		'$r[0] + { part: $part, title: $title, notes: $notes,
			commands: [ range($names | length) as $i
				| { name: $names[$i], command: $cmds[$i] } ] }' \
		>"$work/part-$part.json"
}

load=$(cut -d' ' -f1-3 /proc/loadavg)
for p in $parts; do
	# shellcheck source=/dev/null
	. "$repo/bench/part-$p.sh"
done

# --- results: one JSON and one Markdown file for the whole run -----------
stamp=$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out"
json=$out/bench-$stamp.json
md=$out/bench-$stamp.md
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
rev=$(git -C "$tk" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$tk" diff --quiet HEAD -- bin lib helper 2>/dev/null || rev="$rev (+ local changes)"
ver() { "$@" 2>/dev/null | head -1 || true; }
set --
for f in "$work"/part-*.json; do
	if [ -e "$f" ]; then set -- "$@" "$f"; fi
done
[ "$#" -gt 0 ] || die "no part produced results"
jq -s --arg date "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" \
	--arg kernel "$(uname -r)" --arg cpus "$(nproc)" --arg cpu "$cpu" \
	--arg load "$load" --arg tk "$rev" --arg user "$user" \
	--arg fs "$(findmnt -no FSTYPE,OPTIONS -T "$work" 2>/dev/null | tr -s ' ' | sed 's/ / (/; s/$/)/')" \
	--arg mem "$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)" \
	--argjson notes "$(scrub <"$work/setup.notes" | jq -R . | jq -sc .)" \
	--argjson versions "$(for v in "hyperfine --version" "bwrap --version" \
		"runc --version" "crun --version" "podman --version" "skopeo --version" \
		"umoci --version" "docker-registry --version" "curl --version"; do
		# shellcheck disable=SC2086
		ver $v; done | jq -R . | jq -sc .)" '
	def med($p; $n): [.[] | select(.part == $p) | .results[]?
		| select(.command == $n) | .median][0];
	# The paired comparison of the start part (bench/pair.c), if it ran.
	def paired($n): [.[] | select(.part == "start") | .pairs[]?
		| select(.name == $n)][0];
	# The goal "tk-run at or below bwrap" as $who: from the paired runs,
	# or from the medians when they did not run.
	def vs_bwrap($who): "tk-run (\($who))" as $tk | "bwrap (\($who))" as $bw
		| paired("\($tk) vs \($bw)") as $p
		| { goal: "start: tk-run at or below bwrap (\($who))",
		    target: (if $p then "<= 1.00x, 95% interval" else "<= 1.00x" end),
		    num: ($p.a_mean // med("start"; $tk)), den: ($p.b_mean // med("start"; $bw)),
		    lo: $p.ratio_lo, hi: $p.ratio_hi, max: 1 };
	. as $parts
	| { date: $date,
	    machine: { kernel: $kernel, cpus: ($cpus | tonumber), cpu: $cpu,
		memory: $mem, load_before: $load, scratch_fs: $fs },
	    tk: $tk, versions: $versions, notes: $notes,
	    parts: (["start", "exec", "pull-busybox", "pull-big", "density"] as $o
		| sort_by(.part as $p | $o | index($p) // 99)
		| map({ (.part): del(.part) }) | add) }
	| .goals = [
	  ($parts | vs_bwrap("root")), ($parts | vs_bwrap($user)),
	  { goal: "start: tk-run within 1.3x of the floor (root)", target: "<= 1.30x",
	    num: $parts | med("start"; "tk-run (root)"),
	    den: $parts | med("start"; "floor (root)"), max: 1.3 },
	  { goal: "start: 5x faster than runc run (root)", target: ">= 5x",
	    num: $parts | med("start"; "runc run (root)"),
	    den: $parts | med("start"; "tk-run (root)"), min: 5 },
	  { goal: "start: 20x faster than podman run (root)", target: ">= 20x",
	    num: $parts | med("start"; "podman run (root)"),
	    den: $parts | med("start"; "tk-run (root)"), min: 20 },
	  { goal: "exec: 5x faster than runc exec (root)", target: ">= 5x",
	    num: $parts | med("exec"; "runc exec (root)"),
	    den: $parts | med("exec"; "tk-exec (root)"), min: 5 },
	  { goal: "pull-busybox: 2x faster than podman pull", target: ">= 2x",
	    num: $parts | med("pull-busybox"; "podman pull"),
	    den: $parts | med("pull-busybox"; "tk-pull (registry)"), min: 2 },
	  { goal: "pull-big: 2x faster than podman pull", target: ">= 2x",
	    num: $parts | med("pull-big"; "podman pull"),
	    den: $parts | med("pull-big"; "tk-pull (registry)"), min: 2 } ]
	| .goals |= map(. + (if .num == null or .den == null
		then { ratio: null, met: null }
		elif .hi != null then (.num / .den) as $x | { ratio: $x,
			measured: "\($x * 100 | round / 100)x (\(.lo * 100 | round / 100)x to \(.hi * 100 | round / 100)x)",
			met: (.hi <= .max) }
		else (.num / .den) as $x | { ratio: $x,
			measured: "\($x * 100 | round / 100)x",
			met: (if .max then $x <= .max else $x >= .min end) } end)
		| del(.num, .den, .max, .min, .lo, .hi))
	# Absolute goals of the density part (issue 5): the last tk-ls -a (the
	# most containers) and the monitor.
	| ([$parts[] | select(.part == "density") | .metrics[]?]) as $m
	| ([$m[] | select(.name | test("^tk-ls -a with [0-9]+ stopped$"))] | last) as $ls
	| ([$m[] | select(.name == "tk-monitor RSS, median")] | first) as $mon
	| .goals += [
	  { goal: "density: \($ls.name // "tk-ls -a with 1000 stopped") under 50 ms",
	    target: "< 50 ms", value: $ls.value, unit: "ms", max: 50 },
	  { goal: "density: tk-monitor under 1 MiB RSS", target: "< 1024 KiB",
	    value: $mon.value, unit: "KiB", max: 1024 } ]
	| .goals |= map(if .value == null and .unit then . + { met: null } | del(.value, .unit, .max)
		elif .unit then . + { measured: "\(.value) \(.unit)",
			met: (.value < .max) } | del(.max) else . end)
	| (.parts | keys) as $ran
	| .goals |= map(select(.goal | split(":")[0] as $g | $ran | any(. == $g)))
' "$@" >"$json"

sh "$repo/bench/render.sh" "$json" >"$md"
cat "$md"
say "results: $md, $json"
