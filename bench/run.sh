#!/bin/sh
# bench/run.sh: how long does a container take to start and finish?
#
# `tk-run --rm IMAGE /bin/true` side by side with `bwrap --unshare-all`,
# `runc run` and bench/floor (the least a container start can do), on the
# same busybox rootfs, in one interleaved run. Needs root. Called by
# `make bench` after `make`; see bench/README.md for how to read the result.
#
# Environment:
#   BENCH_RUNS=200     timed runs per command (in total, over all rounds)
#   BENCH_ROUNDS=10    hyperfine invocations; each runs every command once
#                      in turn, so slow drift on a noisy machine hits all
#                      commands alike
#   BENCH_WARMUP=20    warm-up runs per command (in total)
#   BENCH_USER=0       skip the unprivileged rows (user tkbench, group tk)
#   BENCH_OUT=DIR      where results go (default bench/results)
#   BENCH_TMP=DIR      where the scratch directory goes (default /var/tmp)
#
# No timing assertion anywhere: this measures, it does not judge.
set -eu

prog=bench
say() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { say "$*"; exit 1; }

repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${BENCH_RUNS:-200}
rounds=${BENCH_ROUNDS:-10}
warmup=${BENCH_WARMUP:-20}
want_user=${BENCH_USER:-1}
out=${BENCH_OUT:-$repo/bench/results}

[ "$(id -u)" = 0 ] || die "needs root (it compares runtimes as root; sudo make bench)"

# Tools. Installed through apt only when missing.
missing=
for t in hyperfine:hyperfine bwrap:bubblewrap runc:runc jq:jq cc:gcc; do
	command -v "${t%%:*}" >/dev/null || missing="$missing ${t#*:}"
done
[ -x /bin/busybox ] || missing="$missing busybox-static"
if [ -n "$missing" ]; then
	say "installing:$missing"
	# shellcheck disable=SC2086
	apt-get install -y --no-install-recommends $missing >&2 ||
		die "cannot install:$missing"
fi

per=$(( (runs + rounds - 1) / rounds ))
wper=$(( (warmup + rounds - 1) / rounds ))
[ "$per" -ge 2 ] || die "BENCH_RUNS/BENCH_ROUNDS must be at least 2 (hyperfine)"

umask 022
work=$(mktemp -d "${BENCH_TMP:-/var/tmp}/tk-bench.XXXXXX")
chmod 0755 "$work"
runc_id=tkbench-$$
user=tkbench
made_user=
made_group=
user_recs=
subid=1700000000-1700065535

cleanup() {
	set +e
	runc delete -f "$runc_id" >/dev/null 2>&1
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

# The rootfs: the project's own busybox image, unpacked once. bwrap and runc
# use the directory, tk imports the tarball, floor overlays the directory.
sh "$repo/scripts/mkimage-busybox.sh" "$work/rootfs.tar.gz" ||
	die "cannot make the busybox image"
rootfs=$work/rootfs
mkdir "$rootfs"
tar -C "$rootfs" --numeric-owner -xpzf "$work/rootfs.tar.gz"

# runc bundle: runc's default spec, but a writable root and /bin/true.
# No cgroupsPath, so runc nests its cgroup under ours and removes it on exit.
mkdir "$work/bundle"
(cd "$work/bundle" && runc spec)
jq --arg r "$rootfs" '.process.args = ["/bin/true"] | .process.terminal = false
	| .root.path = $r | .root.readonly = false | del(.linux.cgroupsPath)' \
	"$work/bundle/config.json" >"$work/bundle/config.new"
mv "$work/bundle/config.new" "$work/bundle/config.json"

cc -O2 -Wall -Wextra -o "$work/floor" "$repo/bench/floor.c" || die "cannot build floor"
mkdir "$work/floor-tmp"

# The unprivileged user: group tk, a subordinate id range, and a copy of the
# helper installed as `make install` would (root:tk 4750) where it can reach.
as_user=
if [ "$want_user" != 0 ]; then
	if getent passwd "$user" >/dev/null; then
		say "user $user exists already: skipping the unprivileged rows"
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

# tk: import the rootfs into a store of its own, as root (and as the user).
tk_root=$work/tk-root
helper=$repo/helper/tk-helper
have_tk=0
note() { printf '%s\n' "$*" >>"$work/notes"; }
: >"$work/notes"
if [ -x "$repo/bin/tk-run" ] && [ -x "$repo/bin/tk-pull" ] && [ -x "$helper" ]; then
	if [ "$want_user" != 0 ]; then
		mkdir "$work/helper"
		cp "$helper" "$work/helper/tk-helper"
		chown root:tk "$work/helper/tk-helper"
		chmod 4750 "$work/helper/tk-helper"
		helper=$work/helper/tk-helper
	fi
	export TK_HELPER="$helper"
	if id=$("$repo/bin/tk-pull" --root "$tk_root" -q --name bench \
		"tar:$work/rootfs.tar.gz" 2>"$work/err"); then
		say "tk image (root): $id"
		have_tk=1
	else
		note "tk-pull (root) failed, tk rows left out: $(head -c 300 "$work/err")"
	fi
else
	note "tk not built (bin/tk-run, bin/tk-pull, helper/tk-helper): tk rows left out"
fi
if [ "$have_tk" = 1 ] && [ "$want_user" != 0 ]; then
	# shellcheck disable=SC2086
	if id=$(cd "$work/home" && $as_user env HOME="$work/home" \
		"$repo/bin/tk-pull" --root "$work/home/tk" -q --name bench \
		"tar:$work/rootfs.tar.gz" 2>"$work/err"); then
		say "tk image ($user): $id"
	else
		note "tk-pull as $user failed, its row left out: $(head -c 300 "$work/err")"
		want_user=0
	fi
fi

# The commands. Each is tried once first; one that fails is left out of the
# table with its error in the notes, so one broken runtime does not hide the
# others. hyperfine -N runs them without a shell.
try() { # NAME COMMAND...
	name=$1
	shift
	if (cd "$work" && "$@") >/dev/null 2>"$work/err"; then
		printf '%s\n' "$name" >>"$work/names"
		printf '%s\n' "$*" >>"$work/cmds"
	else
		note "$name failed ($*), left out: $(head -c 300 "$work/err" | tr '\n' ' ')"
	fi
}
: >"$work/names"
: >"$work/cmds"
if [ "$have_tk" = 1 ]; then
	try "tk-run (root)" "$repo/bin/tk-run" --root "$tk_root" --rm bench /bin/true
	if [ "$want_user" = 1 ]; then
		# shellcheck disable=SC2086
		try "tk-run ($user)" $as_user "$repo/bin/tk-run" --root "$work/home/tk" \
			--rm bench /bin/true
	fi
fi
try "bwrap (root)" bwrap --unshare-all --bind "$rootfs" / --proc /proc --dev /dev /bin/true
if [ "$want_user" = 1 ]; then
	# shellcheck disable=SC2086
	try "bwrap ($user)" $as_user bwrap --unshare-all --bind "$rootfs" / \
		--proc /proc --dev /dev /bin/true
	# What setpriv itself costs, to subtract from the unprivileged rows.
	# shellcheck disable=SC2086
	try "setpriv /bin/true" $as_user /bin/true
fi
# Spawning a process at all, for scale.
try "/bin/true (no container)" /bin/true
try "runc (root)" runc run --bundle "$work/bundle" "$runc_id"
try "floor (root)" "$work/floor" "$rootfs" "$work/floor-tmp"

[ -s "$work/names" ] || die "every command failed: $(cat "$work/notes")"

# hyperfine arguments: -n NAME COMMAND per row, read back line by line.
set --
while IFS= read -r name <&3 && IFS= read -r cmd <&4; do
	set -- "$@" -n "$name" "$cmd"
done 3<"$work/names" 4<"$work/cmds"

load=$(cut -d' ' -f1-3 /proc/loadavg)
say "$(wc -l <"$work/names") commands, $rounds rounds of $per runs (+$wper warm-up) each"
r=1
while [ "$r" -le "$rounds" ]; do
	say "round $r/$rounds"
	(cd "$work" && hyperfine -N --style none --warmup "$wper" --runs "$per" \
		--export-json "$work/round-$r.json" "$@") ||
		die "hyperfine failed in round $r"
	r=$((r + 1))
done

# Merge the rounds: every run of a command, from every round, in one list.
stamp=$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out"
json=$out/start-$stamp.json
md=$out/start-$stamp.md
jq -s --argjson order "$(jq -R . "$work/names" | jq -sc .)" '
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
		times: $t } ] }
	| .results |= (. as $r | [ $order[] as $n | $r[] | select(.command == $n) ])' \
	"$work"/round-*.json >"$json"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
rev=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$repo" diff --quiet HEAD -- bin lib helper 2>/dev/null || rev="$rev (+ local changes)"
{
	printf '# Container start: tk-run --rm vs bwrap vs runc vs floor\n\n'
	printf -- '- date: %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	printf -- '- machine: Linux %s, %s CPUs, %s; load before: %s\n' \
		"$(uname -r)" "$(nproc)" "$cpu" "$load"
	printf -- '- tk %s; %s; bubblewrap %s; %s\n' "$rev" \
		"$(hyperfine --version)" "$(bwrap --version | cut -d' ' -f2)" \
		"$(runc --version | head -1)"
	printf -- '- %s rounds x %s runs (+%s warm-up) per command, hyperfine -N, interleaved by round\n' \
		"$rounds" "$per" "$wper"
	printf -- '- payload: /bin/true (busybox %s, static) from scripts/mkimage-busybox.sh\n\n' \
		"$(/bin/busybox 2>&1 | head -1 | cut -d' ' -f2)"
	printf '| command | median ms | mean ± sd ms | min ms | cpu ms | vs bwrap (root) | vs floor |\n'
	printf '|---|---:|---:|---:|---:|---:|---:|\n'
	jq -r '
		(.results | map(select(.command == "bwrap (root)")) | .[0].median) as $b
		| (.results | map(select(.command == "floor (root)")) | .[0].median) as $f
		| def ms: . * 1000 * 100 | round / 100;
		  def ratio($x): if $x == null then "-" else (. / $x * 100 | round / 100 | tostring) + "x" end;
		.results[] | "| \(.command) | \(.median | ms) | \(.mean | ms) ± \(.stddev | ms) | \(.min | ms) | \(.user + .system | ms) | \(.median | ratio($b)) | \(.median | ratio($f)) |"' \
		"$json"
	printf '\nRatios are of medians; cpu is user + system time (mean).'
	printf ' Commands (run from a scratch directory, no shell):\n\n'
	while IFS= read -r name <&3 && IFS= read -r cmd <&4; do
		# shellcheck disable=SC2016
		printf -- '- %s: `%s`\n' "$name" "$(printf '%s' "$cmd" | sed "s|$work|\$WORK|g; s|$repo|\$REPO|g")"
	done 3<"$work/names" 4<"$work/cmds"
	if [ -s "$work/notes" ]; then
		printf '\nNotes:\n\n'
		sed "s|$work|\$WORK|g; s|$repo|\$REPO|g; s|^|- |" "$work/notes"
	fi
	[ -n "${TK_HELPER:-}" ] && printf '\nTK_HELPER: %s\n' \
		"$(printf '%s' "$TK_HELPER" | sed "s|$work|\$WORK|g; s|$repo|\$REPO|g")"
} >"$md"

cat "$md"
say "results: $md, $json"
