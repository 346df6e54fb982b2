#!/bin/sh
# fuzz/run.sh SECONDS TARGET...: run each libFuzzer target for SECONDS
# from its seeds (fuzz/corpus/TARGET; what it finds goes to the working
# corpus fuzz/bin/corpus/TARGET, kept between runs), and print
# its executions and coverage. Crashes go to fuzz/crashes/; any crash
# makes the run fail. fuzz/regress/TARGET holds the inputs of crashes that
# were fixed: they run first, every time.
cd "$(dirname "$0")" || exit 1
secs=$1
shift
mkdir -p crashes
st=0
for t; do
	mkdir -p "bin/corpus/$t"
	ASAN_OPTIONS=detect_leaks=0 "bin/$t" -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="crashes/$t-" "bin/corpus/$t" "corpus/$t" \
		$(test -d "regress/$t" && echo "regress/$t") \
		>"bin/$t.log" 2>&1 || st=1
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "bin/$t.log")
	cov=$(grep -E '^#[0-9]+' "bin/$t.log" | tail -n 1 | sed -n 's/.*cov: \([0-9]*\).*ft: \([0-9]*\).*/cov \1 ft \2/p')
	echo "$t: ${execs:-?} executions in ${secs}s, $cov, corpus $(ls "bin/corpus/$t" | wc -l)"
	if grep -q -E '^==[0-9]+==ERROR|^SUMMARY: |deadly signal' "bin/$t.log"; then
		echo "$t: CRASH, see fuzz/bin/$t.log and fuzz/crashes/"
		st=1
	fi
done
exit $st
