#!/bin/sh
test_description='tk-run -it and tk-exec -it: a new pty, proxied; resize, ^C, ^Z, exit status'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq ROOT || test_skip_all "needs root (installs a setuid helper to run containers)"
test_have_prereq BUSYBOX || test_skip_all "needs a static /bin/busybox (busybox-static)"
test_have_prereq PYTHON3 || test_skip_all "needs python3 (its pty module drives the terminal)"

drive() {
	"$PYTHON" "$TEST_LIB/pty-drive.py" "$@"
}

# A session at the container's shell: the first prompt, output, the size,
# a resize, ^C of a foreground command, ^Z of another (then fg and ^C),
# and an exit status. Each key is typed only once the command it is for
# said it runs in the foreground (keys typed ahead go to the shell).
cat >session <<\EOF_SESSION
wait # 
send echo hel""lo-from-the-pty
wait hello-from-the-pty
send stty size
wait 30 100
resize 40 120
send stty size
wait 40 120
send sh -c 'echo sl""eeping; exec sleep 1000'
wait sleeping
ctrl C
send echo after-$((6*7))
wait after-42
send sh -c 'trap "echo con""tinued" CONT; echo sus""pend-me; while :; do sleep 1; done'
wait suspend-me
ctrl Z
wait Stopped
send fg
wait continued
ctrl C
send echo st""ill-here
wait still-here
send exit 7
EOF_SESSION

test_expect_success 'setup: helper and image' '
	tk_setup_helper &&
	tk_busybox_image busybox &&
	chmod 644 session &&
	mounts_snapshot before
'

test_expect_success 'tk-run -it: echo, size, resize, ^C, ^Z, the exit status' '
	drive session tk-run --rm -it "$IMG" sh >out 2>err &&
	test_grep "hello-from-the-pty" out &&
	test_grep "^30 100" out &&
	test_grep "^40 120" out &&
	test_grep "after-42" out &&
	test_grep "Stopped" out &&
	test_grep "still-here" out &&
	test_grep -x "STATUS 7" out
'

test_expect_success 'the container has a pty of its own devpts, not the caller'"'"'s terminal' '
	cat >s2 <<-\EOF_S2 &&
	wait # 
	send for f in 0 1 2; do echo fd$f=$(readlink /proc/$$/fd/$f); done
	wait fd2=
	send test $(stat -c %d /dev/pts) = $(stat -L -c %d /proc/self/fd/0) && echo sa""me-devpts
	wait same-devpts
	send exit
	EOF_S2
	drive s2 tk-run --rm -it "$IMG" sh >out &&
	test_grep "^fd0=/dev/pts/0" out &&
	test_grep "^fd1=/dev/pts/0" out &&
	test_grep "^fd2=/dev/pts/0" out &&
	test_grep "^same-devpts" out &&
	test_grep -x "STATUS 0" out
'

test_expect_success 'tk-run -t with no terminal on stdin still works' '
	tk-run --rm -t "$IMG" sh -c "echo no-terminal; exit 3" </dev/null >out 2>err
	test $? = 3 &&
	test_grep "no-terminal" out
'

test_expect_success '-d and -t together are refused' '
	test_status 2 tk-run -d -t "$IMG" true 2>err &&
	test_grep "^tk-run: " err
'

test_expect_success 'tk-exec -it: the same session in a running container' '
	m=$(marker ttybox) &&
	test_atexit "kill_marker $m" &&
	tk-run -d --name ttybox "$IMG" sh -c "sleep 1000; : $m" >/dev/null &&
	drive session tk-exec -it ttybox sh >out 2>err &&
	test_grep "hello-from-the-pty" out &&
	test_grep "^40 120" out &&
	test_grep "after-42" out &&
	test_grep "Stopped" out &&
	test_grep -x "STATUS 7" out &&
	tk-exec ttybox ps -o args >ps &&
	test_grep -v "suspend-me" ps &&
	test_grep -v "sleeping" ps
'

test_expect_success 'as a member of tk: tk-run -it and tk-exec -it' '
	tk_add_user tia &&
	tk_as tia tk-pull -q --name bb "tar:$TRASH/busybox.tar.gz" >/dev/null &&
	tk_as tia tk-run -d --name box bb sleep 1000 >/dev/null &&
	home=$(tk_user_home tia) &&
	cp session "$home/session" && chmod 644 "$home/session" &&
	tk_as tia "$PYTHON" "$TEST_LIB/pty-drive.py" session tk-run --rm -it bb sh >out &&
	test_grep "^40 120" out &&
	test_grep -x "STATUS 7" out &&
	tk_as tia "$PYTHON" "$TEST_LIB/pty-drive.py" session tk-exec -it box sh >out &&
	test_grep "after-42" out &&
	test_grep -x "STATUS 7" out &&
	tk_as tia tk-rm -f box >/dev/null
'

test_expect_success 'no leaks' '
	tk-rm -f ttybox >/dev/null &&
	test_wait_until 20 "! pgrep -f -- $m" &&
	check_no_leaks before
'

test_done
