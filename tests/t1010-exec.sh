#!/bin/sh
test_description='tk-exec: commands in a running container, through the helper'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq ROOT || test_skip_all "needs root (installs a setuid helper to run containers)"
test_have_prereq BUSYBOX || test_skip_all "needs a static /bin/busybox (busybox-static)"

# inner_pid MARKER: a process carrying MARKER inside a container's pid
# namespace (not tk-exec or the helper on the host, which carry it too).
inner_pid() {
	for _p in $(pgrep -f -- "$1"); do
		_ns=$(sed -n 's/^NSpid:[[:space:]]*//p' "/proc/$_p/status" 2>/dev/null)
		case $_ns in *[[:space:]]*) echo "$_p"; return 0 ;; esac
	done
	return 1
}

test_expect_success 'setup: helper, image, a running container' '
	tk_setup_helper &&
	tk_busybox_image busybox &&
	mounts_snapshot before &&
	m=$(marker box) &&
	test_atexit "kill_marker $m" &&
	box=$(tk-run -d --name box -h boxhost --cgroups enabled "$IMG" sh -c "echo payload-was-here >/tmp/mark; sleep 1000; : $m") &&
	test_wait_until 20 "tk-exec box test -f /tmp/mark"
'

test_expect_success 'exec joins every namespace of the container' '
	tk-exec box sh -c "for n in user mnt pid uts ipc net cgroup; do
		a=\$(readlink /proc/1/ns/\$n) && b=\$(readlink /proc/self/ns/\$n) &&
		test \"\$a\" = \"\$b\" || { echo \"\$n: \$a != \$b\"; exit 1; }
	done" &&
	tk-exec box hostname >out &&
	echo boxhost >expect &&
	test_cmp expect out &&
	tk-exec box cat /tmp/mark >out &&
	echo payload-was-here >expect &&
	test_cmp expect out &&
	tk-exec box ps -o pid,args >ps &&
	grep -q "^ *1 sh -c echo payload" ps
'

test_expect_success 'exec joins the container'"'"'s cgroups' '
	m3=$(marker execcg) &&
	test_atexit "kill_marker $m3" &&
	{ tk-exec box sh -c "sleep 1000; : $m3" & ep=$!; } &&
	test_wait_until 20 "pe=\$(inner_pid $m3)" &&
	p1=$(tk-inspect -c box | jq -r .state.pid) &&
	grep "/$(id -u)/$box\$" /proc/$p1/cgroup >want &&
	test_line_count -gt 0 want &&
	grep "/$(id -u)/$box\$" /proc/$pe/cgroup >got &&
	test_cmp want got &&
	kill -9 "$ep" &&
	test_wait_until 20 "! pgrep -f -- $m3"
'

test_expect_success 'the status of the command comes back; 126 and 127' '
	test_status 3 tk-exec box sh -c "exit 3" &&
	test_status 127 tk-exec box no-such-command 2>err &&
	test_grep no-such-command err &&
	test_status 126 tk-exec box /etc/passwd 2>err
'

test_expect_success '-u, -w, -e; the container env is kept' '
	tk-exec -u app -w /tmp -e X=1 box sh -c "id -u; id -g; pwd; echo \$X; echo \$PATH" >out &&
	printf "1000\n1000\n/tmp\n1\n" >expect &&
	head -n 4 out >got &&
	test_cmp expect got &&
	test_grep /usr/bin out &&
	tk-exec -u 1234:55 box sh -c "id -u; id -g" >out &&
	printf "1234\n55\n" >expect &&
	test_cmp expect out &&
	test_must_fail tk-exec -u nosuchuser box true 2>err &&
	test_one_line_error err tk-exec
'

test_expect_success 'the working directory is checked' '
	test_status 125 tk-exec -w /etc/passwd box true 2>err &&
	test_grep -i "working directory" err &&
	test_status 125 tk-exec -w relative box true 2>err
'

test_expect_success 'privileges as run: no_new_privs, seccomp, the podman set for root, none for others' '
	tk-exec box cat /proc/self/status >st &&
	grep -q "^NoNewPrivs:[[:space:]]*1" st &&
	grep -q "^Seccomp:[[:space:]]*2" st &&
	grep -q "^CapEff:[[:space:]]*00000000800405fb" st &&
	tk-exec -u 1000 box cat /proc/self/status >st &&
	grep -q "^CapEff:[[:space:]]*0000000000000000" st
'

test_expect_success 'no descriptor of the caller but 0-2 reaches the container' '
	tk-exec box ls /proc/self/fd >fds 7</etc/hostname 8>/dev/null &&
	test_grep -v -x 7 fds &&
	test_grep -v -x 8 fds &&
	test_grep -x 2 fds
'

test_expect_success 'the command has no controlling terminal: a session of its own' '
	tk-exec box sh -c "read -r pid c s ppid pgrp sid rest </proc/self/stat; test \$sid = \$\$"
'

test_expect_success 'exec into a stopped container fails cleanly' '
	tk-run -d --name stopped "$IMG" sleep 1000 >/dev/null &&
	tk-stop -t 0 stopped >/dev/null &&
	test_status 125 tk-exec stopped true 2>err &&
	test_one_line_error err tk-exec &&
	test_grep "not running" err &&
	sid=$(tk-inspect -c stopped | jq -r .id) &&
	test_status 125 "$TK_HELPER" join "$sid" $$ 2>err &&
	test_one_line_error err tk-helper &&
	test_grep "not running" err &&
	other=$(echo "$sid" | tr 0-9a-f a-f0-9) &&
	test_status 125 "$TK_HELPER" join "$other" $$ 2>err2 &&
	sed "s/$sid/ID/" err >e1 &&
	sed "s/$other/ID/" err2 >e2 &&
	test_cmp e1 e2
'

# A command that joined the mount namespace before the first process
# pivoted would start in the host's tree: a record naming a process whose
# root is still the host's / (here a plain sleep of ours, in place of a
# stopped container's) is refused.
test_expect_success 'exec refuses a container that has not pivoted into its root yet' '
	sleep 1000 &
	p=$! &&
	test_atexit "kill $p" &&
	t=$(sed "s/^.*) //" /proc/$p/stat | cut -d" " -f20) &&
	id=$(tk-inspect -c stopped | jq -r .id) &&
	test_atexit "rm -f /run/tk/0/$id" &&
	echo "$p $t" >/run/tk/0/$id &&
	test_status 125 tk-exec stopped /bin/sh -c "echo ran >$TRASH/ran" 2>err &&
	test_one_line_error err tk-exec &&
	test_grep "still starting" err &&
	! test -e "$TRASH/ran" &&
	rm /run/tk/0/$id
'

test_expect_success 'the helper refuses bad join arguments' '
	test_status 2 "$TK_HELPER" join ../x $$ 2>err &&
	test_status 2 "$TK_HELPER" join "$box" 2>err &&
	test_status 2 "$TK_HELPER" join "$box" -1 2>err &&
	test_status 2 "$TK_HELPER" join "$box" 1 2>err &&
	test_status 2 "$TK_HELPER" join "$box" 12x 2>err &&
	test_status 2 "$TK_HELPER" join "$box" $$ $$ 2>err
'

test_expect_success 'a SIGKILLed tk-exec leaves nothing running in the container' '
	m2=$(marker execkill) &&
	test_atexit "kill_marker $m2" &&
	{ tk-exec box sh -c "sleep 1000; : $m2" & ep=$!; } &&
	test_wait_until 20 "pgrep -f -- $m2" &&
	kill -9 "$ep" &&
	test_wait_until 20 "! pgrep -f -- $m2" &&
	tk-exec box ps -o args >ps &&
	test_grep -v "$m2" ps
'

test_expect_success 'as a member of tk: exec into her own container' '
	tk_add_user eve &&
	tk_as eve tk-pull -q --name bb "tar:$TRASH/busybox.tar.gz" >/dev/null &&
	tk_as eve tk-run -d --name mine bb sleep 1000 >id &&
	eid=$(cat id) &&
	tk_as eve tk-exec mine sh -c "id -u; cat /proc/self/uid_map" >out &&
	test "$(head -n 1 out)" = 0 &&
	awk -v u="$(tk_user_uid eve)" "\$1 == 0 && \$2 == u { f = 1 } END { exit !f }" out &&
	test_status 5 tk_as eve tk-exec -u 1000 mine sh -c "exit 5"
'

test_expect_success 'join moves only a process of the caller'"'"'s own' '
	test_status 125 tk_as eve "$TK_HELPER" join "$eid" $$ 2>err &&
	test_one_line_error err tk-helper &&
	test_grep "permission denied" err
'

test_expect_success 'another member cannot exec into it: the same answer as no container' '
	tk_add_user fay &&
	test_status 125 tk_as fay "$TK_HELPER" join "$eid" $$ 2>err &&
	test_grep "not running" err &&
	test_status 125 tk_as fay "$TK_HELPER" join "$(echo "$eid" | tr 0-9a-f a-f0-9)" $$ 2>err2 &&
	sed "s/$eid/ID/" err >e1 &&
	sed "s/$(echo "$eid" | tr 0-9a-f a-f0-9)/ID/" err2 >e2 &&
	test_cmp e1 e2 &&
	tk_as eve tk-rm -f mine >/dev/null
'

test_expect_success 'no leaks' '
	tk-rm -f box stopped >/dev/null &&
	test_wait_until 20 "! pgrep -f -- $m" &&
	check_no_leaks before
'

test_done
