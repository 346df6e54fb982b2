#!/bin/sh
# idmap-own.sh OUT CMD...: start a process of our own in a fresh user
# namespace, run `CMD... idmap PID` on it, write the namespace's uid_map to
# OUT and exit with CMD's status. CLOSEFDS=1 runs CMD with fds 0-2 closed.
out=$1
shift
unshare -U sleep 30 &
p=$!
i=0
while test "$(readlink /proc/$p/ns/user)" = "$(readlink /proc/self/ns/user)"; do
	sleep 0.05
	i=$((i + 1))
	test $i -lt 200 || { kill $p; exit 99; }
done
if test -n "$CLOSEFDS"; then
	"$@" idmap "$p" <&- >&- 2>&-
else
	"$@" idmap "$p"
fi
st=$?
cat "/proc/$p/uid_map" >"$out"
kill $p
exit $st
