#!/bin/sh
# bench/render.sh RESULT.json: the Markdown report of one bench run
# (bench/run.sh writes both). Ratios are of medians, but for the paired
# comparisons of the start part (bench/pair.c).
set -eu
[ "$#" = 1 ] || { echo "usage: bench/render.sh RESULT.json" >&2; exit 2; }
jq -r '
def ms: . * 1000 * 100 | round / 100;
def x: if . == null then "-" else (. * 100 | round / 100 | tostring) + "x" end;
def mib: if . == null then "-" else (. / 1024 * 10 | round / 10 | tostring) end;
# The reference rows of each timed part: the ratio columns.
def refs: {
	start: ["bwrap (root)", "floor (root)"],
	exec: ["runc exec (root)", "nsenter (root)"],
	"pull-busybox": ["podman pull", "floor (curl, gzip -d, tar -x)"],
	"pull-big": ["podman pull", "floor (curl, gzip -d, tar -x)"] };
def med($n): [.results[] | select(.command == $n) | .median][0];
def table($key):
	(refs[$key] // []) as $refs
	| ($refs | map(. as $n | {n: $n})) as $_
	| . as $p
	| ($refs | map(. as $n | $p | med($n))) as $m
	| "| command | median ms | mean ± sd ms | min ms | cpu ms | runs | peak RSS MiB |"
	  + ($refs | map(" vs \(.) |") | join("")),
	  "|---|---:|---:|---:|---:|---:|---:|" + ($refs | map("---:|") | join("")),
	  (.results[] | . as $r
	  | "| \(.command | gsub("\\|"; "\\|")) | \(.median | ms) | \(.mean | ms) ± \(.stddev | ms) | \(.min | ms) | \(.user + .system | ms) | \(.runs) | \(.peak_rss_kb | mib) |"
	    + ([ $m[] | if . == null then " - |" else " \($r.median / . | x) |" end ] | join("")));
"# tk bench: \(.date)",
"",
"- machine: Linux \(.machine.kernel), \(.machine.cpus) CPUs, \(.machine.cpu), \(.machine.memory); load before: \(.machine.load_before)",
(if .machine.scratch_fs then "- scratch filesystem (tk stores, rootfs): \(.machine.scratch_fs)" else empty end),
"- tk \(.tk)",
"- \(.versions | map(select(. != "")) | join("; "))",
"",
(if (.goals | length) > 0 then
	"## Goals",
	"",
	"| goal | target | measured | met |",
	"|---|---|---:|---|",
	(.goals[] | "| \(.goal) | \(.target) | \(.measured // "-") | \(if .met == null then "not measured" elif .met then "yes" else "no" end) |"),
	"",
	"Ratios are of medians from the tables below (the slower over the faster), except tk-run against bwrap: the ratio of means from the paired runs of the start part, met when its whole 95% interval is at or below the target. The density goals are from its table.",
	""
else empty end),
(.notes | if length > 0 then "Setup notes:", "", (.[] | "- \(.)"), "" else empty end),
(.parts | to_entries[] | .key as $k | .value
	| "## \($k): \(.title)", "",
	(if .results then table($k), "",
		"Ratios are of medians; cpu is user + system time (mean); peak RSS is the largest process the command waits for (GNU time), the most of a few runs.",
		"", "Commands (run from the scratch directory $WORK, without a shell):", "",
		(.commands[] | "- \(.name): `\(.command)`")
	else empty end),
	(if (.pairs // []) | length > 0 then
		"Paired: the two commands alternate run by run (bench/pair.c), so both see the same load; the difference is the mean of the per-pair differences, with its 95% interval. The user runs them from one setpriv, so no setpriv is in either time.",
		"", "| A vs B | pairs | A mean ms | B mean ms | A - B ms | A / B (95% interval) |",
		"|---|---:|---:|---:|---:|---:|",
		(.pairs[] | "| \(.name) | \(.runs) | \(.a_mean | ms) | \(.b_mean | ms) | \(.diff_mean | ms) ± \(.diff_ci95 | ms) | \(.ratio | x) (\(.ratio_lo | x) to \(.ratio_hi | x)) |"),
		""
	else empty end),
	(if .metrics then
		"| what | value |", "|---|---:|",
		(.metrics[] | "| \(.name) | \(.value) \(.unit) |")
	else empty end),
	(.notes | if length > 0 then "", "Notes:", "", (.[] | "- \(.)") else empty end),
	"")
' "$1"
