#!/bin/sh
test_description='tk-run as root: exit codes, namespaces, isolation, privileges'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq ROOT || test_skip_all "needs root (installs a setuid helper)"
test_have_prereq BUSYBOX || test_skip_all "needs a static /bin/busybox (busybox-static)"

# payload_pid MARKER: the pid (on the host) of the container's pid 1 whose
# command line carries MARKER.
payload_pid() {
	for _p in $(pgrep -f -- "$1"); do
		_ns=$(sed -n 's/^NSpid:[[:space:]]*//p' "/proc/$_p/status" 2>/dev/null)
		case $_ns in *[[:space:]]1) echo "$_p"; return 0 ;; esac
	done
	return 1
}

test_expect_success 'setup: setuid helper and the busybox image' '
	tk_setup_helper &&
	tk_busybox_image busybox &&
	mounts_snapshot before
'

test_expect_success 'the payload runs, its stdout passes through, its status is ours' '
	test_status 3 tk-run --rm "$IMG" /bin/sh -c "echo hi; exit 3" >out 2>err &&
	echo hi >expect &&
	test_cmp expect out
'

test_expect_success 'exit 0' '
	test_status 0 tk-run --rm "$IMG" /bin/true
'

test_expect_success 'the image can be named by name and by id prefix' '
	test_status 0 tk-run --rm busybox /bin/true &&
	test_status 0 tk-run --rm "$(printf %.12s "$IMG")" /bin/true
'

test_expect_success 'stdin passes through' '
	echo through-stdin | tk-run --rm "$IMG" /bin/cat >out &&
	echo through-stdin >expect &&
	test_cmp expect out
'

test_expect_success 'stderr passes through' '
	tk-run --rm "$IMG" /bin/sh -c "echo oops >&2" >out 2>err &&
	test_line_count = 0 out &&
	test_grep -x oops err
'

test_expect_success 'a file that cannot be executed: 126' '
	test_status 126 tk-run --rm "$IMG" /etc/passwd 2>err &&
	test -s err
'

test_expect_success 'a directory as the command: 126' '
	test_status 126 tk-run --rm "$IMG" /etc 2>err
'

test_expect_success 'no such command (path): 127' '
	test_status 127 tk-run --rm "$IMG" /no/such/command 2>err &&
	test -s err
'

test_expect_success 'no such command (PATH lookup): 127' '
	test_status 127 tk-run --rm "$IMG" no-such-command-xyz 2>err
'

test_expect_success 'unknown image: 125 and a message' '
	test_status 125 tk-run --rm no-such-image /bin/true 2>err &&
	test_grep "^tk-run: " err &&
	test_grep "no-such-image" err
'

test_expect_success 'a bad --net value: 125' '
	test_status 125 tk-run --rm --net bogus "$IMG" /bin/true 2>err &&
	test_grep "^tk-run: " err
'

test_expect_success 'no leaks after the runs so far' '
	check_no_leaks before
'

test_expect_success 'SIGKILL of the payload from outside: 137' '
	m=$(marker kill9) &&
	{ tk-run --rm "$IMG" /bin/sh -c "sleep 1000 & wait" "$m" >out 2>err &
	  bgpid=$! ; } &&
	test_atexit "kill_marker $m" &&
	test_wait_until 20 "payload_pid $m" &&
	kill -9 "$(payload_pid "$m")" &&
	{ wait $bgpid; status=$?; } &&
	test "$status" = 137 &&
	test_wait_until 10 "! pgrep -f -- $m" &&
	check_no_leaks before "$m"
'

test_expect_success '-e, -w, -u, --hostname, --entrypoint' '
	tk-run --rm -e A=1 -e B="two words" -w /tmp -u 1000 --hostname web \
		--entrypoint /bin/sh "$IMG" -c "env; id; pwd; hostname" >out &&
	test_grep -x "A=1" out &&
	test_grep -x "B=two words" out &&
	test_grep "^uid=1000" out &&
	test_grep -x /tmp out &&
	test_grep -x web out
'

test_expect_success '-u NAME is looked up in the image, -u UID:GID sets both' '
	tk-run --rm -u app "$IMG" /bin/id -u >out &&
	echo 1000 >expect &&
	test_cmp expect out &&
	tk-run --rm -u 1000:4242 "$IMG" /bin/sh -c "id -u; id -g" >out &&
	printf "1000\n4242\n" >expect &&
	test_cmp expect out
'

test_expect_success 'the default user is root in the container' '
	tk-run --rm "$IMG" /bin/id -u >out &&
	echo 0 >expect &&
	test_cmp expect out
'

test_expect_success 'the hostname defaults to something other than the host one' '
	tk-run --rm "$IMG" /bin/hostname >out &&
	test -s out &&
	test "$(cat out)" != "$(hostname)"
'

test_expect_success '/etc/hostname and /etc/hosts name the container; /dev holds only devices' '
	tk-run --rm --hostname web "$IMG" /bin/sh -c \
		"cat /etc/hostname; grep -c web /etc/hosts; ls -A /dev | tr \"\\n\" \" \"" >out &&
	printf "web\n1\nfd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero " >expect &&
	test_cmp expect out
'

test_expect_success 'a user namespace: /proc/self/uid_map shows a mapping' '
	tk-run --rm "$IMG" /bin/cat /proc/self/uid_map >out &&
	test_line_count -ge 1 out &&
	awk "NF != 3 { exit 1 }" out &&
	! grep -q "^ *0 *0 *4294967295\$" out
'

test_expect_success 'the payload is pid 1' '
	tk-run --rm "$IMG" /bin/sh -c "echo \$\$" >out &&
	echo 1 >expect &&
	test_cmp expect out
'

test_expect_success 'ps inside shows only the container processes' '
	m=$(marker hostproc) &&
	{ sh -c "sleep 300; true" "$m" & hostpid=$! ; } &&
	test_atexit "kill $hostpid" &&
	pgrep -f -- "$m" >/dev/null &&
	tk-run --rm "$IMG" /bin/ps -o pid,args >out &&
	kill $hostpid &&
	test_grep -v -- "$m" out &&
	test_line_count -le 3 out
'

test_expect_success 'host mounts are not visible inside' '
	tk-run --rm "$IMG" /bin/cat /proc/mounts >out &&
	test_grep -v "$TRASH" out &&
	awk "{print \$5}" /proc/self/mountinfo |
	grep -v -E "^/(proc|sys|dev|tmp|run)?(/|\$)" | sort -u >hostmounts &&
	awk "{print \$2}" out | sort -u >inmounts &&
	comm -12 hostmounts inmounts >common &&
	test_line_count = 0 common
'

test_expect_success 'writes go to the container, not to the image' '
	tk-run --name writer "$IMG" /bin/sh -c "echo x >/etc/f" &&
	test_status 0 tk-run --rm "$IMG" /bin/sh -c "test ! -e /etc/f && test -e /etc/passwd"
'

test_expect_success 'a container without --rm is kept, with its changes' '
	tk-ls -a -q >ids &&
	test_line_count = 1 ids &&
	id=$(cat ids) &&
	is_hex64 "$id" &&
	test -d "$TK_ROOT/containers/$id" &&
	test "$(cat "$TK_ROOT/containers/$id/upper/etc/f")" = x
'

test_expect_success 'only a --rm container'"'"'s overlay is volatile (no syncfs when it ends)' '
	tk-run --rm "$IMG" cat /proc/self/mountinfo >rm.mi &&
	test_grep " / / .*overlay.*volatile" rm.mi &&
	tk-run --name kept "$IMG" cat /proc/self/mountinfo >kept.mi &&
	test_grep " / / .*overlay" kept.mi &&
	test_grep -v volatile kept.mi &&
	tk-rm kept
'

test_expect_success 'tk-rm removes the kept container and its directory' '
	tk-rm writer &&
	tk-ls -a -q >ids &&
	test_line_count = 0 ids &&
	test ! -e "$TK_ROOT/containers/$id"
'

test_expect_success '--net none: only lo' '
	tk-run --rm --net none "$IMG" /bin/cat /proc/net/dev >out &&
	sed 1,2d out | awk -F: "{gsub(/ /, \"\", \$1); print \$1}" >ifaces &&
	echo lo >expect &&
	test_cmp expect ifaces
'

test_expect_success '--net host: the host interfaces are there' '
	tk-run --rm --net host "$IMG" /bin/cat /proc/net/dev >out &&
	sed 1,2d out | awk -F: "{gsub(/ /, \"\", \$1); print \$1}" | sort >ifaces &&
	sed 1,2d /proc/net/dev | awk -F: "{gsub(/ /, \"\", \$1); print \$1}" | sort >expect &&
	test_cmp expect ifaces
'

test_expect_success '--net host: the host'"'"'s /etc/hosts, read-only even for root' '
	cp /etc/hosts hosts.before &&
	test_must_fail tk-run --rm --net host busybox sh -c "echo x >>/etc/hosts" 2>err &&
	grep -q "Read-only" err &&
	test_cmp hosts.before /etc/hosts
'

test_expect_success 'an image without /etc runs, and gets no /etc' '
	mkdir -p noetc/bin && cp /bin/busybox noetc/bin/busybox && ln -s busybox noetc/bin/sh &&
	tar -C noetc -czf noetc.tar.gz . &&
	tk-pull -q --name noetc tar:noetc.tar.gz >/dev/null &&
	tk-run --rm noetc /bin/busybox ls / >out &&
	! grep -x etc out
'

test_expect_success '/sys is mounted read-only' '
	tk-run --rm "$IMG" /bin/sh -c "awk \"\\\$2 == \\\"/sys\\\" {print \\\$4}\" /proc/mounts" >out &&
	test_line_count -ge 1 out &&
	test_grep "^ro" out &&
	test_must_fail tk-run --rm "$IMG" /bin/touch /sys/x 2>err
'

# Masked: reading gives nothing. Only the files this kernel has are checked
# (kcore needs CONFIG_PROC_KCORE; timer_list is there nearly always).
test_expect_success '/proc/kcore, timer_list, sched_debug, keys are masked' '
	masked= &&
	for f in kcore timer_list sched_debug keys; do
		test -e /proc/$f && masked="$masked /proc/$f"
	done &&
	test -n "$masked" &&
	tk-run --rm "$IMG" /bin/sh -c "for f in $masked; do echo \$f \$(cat \$f 2>/dev/null | wc -c); done" >out &&
	for f in $masked; do echo "$f 0"; done >expect &&
	test_cmp expect out
'

test_expect_success '/proc/sysrq-trigger cannot be written' '
	test_must_fail tk-run --rm "$IMG" /bin/sh -c "echo h >/proc/sysrq-trigger" 2>err
'

test_expect_success 'no_new_privs is set' '
	tk-run --rm "$IMG" /bin/grep NoNewPrivs /proc/self/status >out &&
	printf "NoNewPrivs:\t1\n" >expect &&
	test_cmp expect out
'

test_expect_success 'the bounding set is no larger than podman default' '
	tk-run --rm "$IMG" /bin/sh -c "sed -n \"s/^CapBnd:[[:space:]]*//p\" /proc/self/status" >out &&
	bnd=$(cat out) &&
	test -n "$bnd" &&
	test $(( 0x$bnd & ~0x800405fb )) = 0
'

test_expect_success 'a non-root user in the container has no effective capabilities' '
	tk-run --rm -u 1000 "$IMG" /bin/sh -c "sed -n \"s/^CapEff:[[:space:]]*//p\" /proc/self/status" >out &&
	test "$(cat out)" = 0000000000000000
'

test_expect_success 'no leaks at the end' '
	check_no_leaks before
'

test_done
