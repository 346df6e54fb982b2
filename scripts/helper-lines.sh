#!/bin/sh
# The size of the privileged code: lines of helper/*.c and helper/*.h that
# are neither blank nor only comment. The helper stays below bubblewrap.c's
# 2396, counted the same way (tests/t0000-basic.sh).
cd "$(dirname "$0")/.." || exit 1
cat helper/*.c helper/*.h | awk '
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
