#!/bin/sh
# The size of the privileged code: lines of helper/*.c and helper/*.h that
# are neither blank nor only comment (the generated seccomp-bpf.h left
# out). The helper stays under 3000 of them (tests/t0000-basic.sh).
cd "$(dirname "$0")/.." || exit 1
for f in helper/*.c helper/*.h; do
	test "$f" = helper/seccomp-bpf.h || cat "$f"
done | awk '
{
	line = $0; code = ""
	while (line != "") {
		if (incomment) {
			i = index(line, "*/")
			if (!i) { line = ""; break }
			line = substr(line, i + 2); incomment = 0
		} else {
			i = index(line, "/*")
			if (!i) { code = code line; break }
			code = code substr(line, 1, i - 1); line = substr(line, i + 2); incomment = 1
		}
	}
	gsub(/[ \t]/, "", code)
	if (code != "" && code !~ /^\/\//) n++
}
END { print n + 0 }'
