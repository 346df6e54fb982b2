#!/bin/sh
test_description='bash completion: tools, options, container and image names'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq ROOT || test_skip_all "needs root (installs a setuid helper to run containers)"
test_have_prereq BUSYBOX || test_skip_all "needs a static /bin/busybox (busybox-static)"
command -v bash >/dev/null || test_skip_all "needs bash"

# complete WORDS...: the completions bash would offer for the last word.
complete_words() {
	bash -c '. "$REPO/completion/tk.bash"
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}
		fn=$(complete -p "$1" | sed "s/.*-F \([^ ]*\) .*/\1/")
		"$fn" "$1" "$cur" "$prev"
		printf "%s\n" "${COMPREPLY[@]}"' complete_words "$@"
}

test_expect_success 'setup: helper, image, a running and an exited container' '
	tk_setup_helper &&
	tk_busybox_image busybox &&
	m=$(marker comp) &&
	test_atexit "kill_marker $m" &&
	tk-run -d --name webby "$IMG" sh -c "sleep 1000; : $m" >/dev/null &&
	tk-run --name donezo "$IMG" true
'

test_expect_success 'the file is valid bash and registers every tool' '
	bash -n "$REPO/completion/tk.bash" &&
	for t in tk tk-run tk-exec tk-logs tk-stop tk-start tk-inspect tk-rm tk-ls tk-pull; do
		bash -c ". \"$REPO/completion/tk.bash\"; complete -p $t" >/dev/null || return 1
	done
'

test_expect_success 'tk subcommands' '
	complete_words tk st >out &&
	test_grep -x start out &&
	test_grep -x stop out &&
	test_grep -x stats out
'

test_expect_success 'options' '
	complete_words tk-logs --t >out &&
	grep -qx -e --tail out &&
	grep -qx -e --timestamps out &&
	complete_words tk run --de >out &&
	grep -qx -e --detach out
'

test_expect_success 'container names: running ones for exec and stop, all for logs and rm' '
	complete_words tk-exec "" >out &&
	test_grep -x webby out &&
	test_grep -v -x donezo out &&
	complete_words tk stop w >out &&
	test_grep -x webby out &&
	complete_words tk-logs d >out &&
	test_grep -x donezo out &&
	complete_words tk-rm "" >out &&
	test_grep -x donezo out &&
	test_grep -x webby out
'

test_expect_success 'image names for tk-run and tk-rm --image' '
	complete_words tk-run bus >out &&
	test_grep -x busybox:latest out &&
	complete_words tk-rm --image "" >out &&
	test_grep -x busybox:latest out
'

test_expect_success 'make install puts one file per command' '
	(cd "$REPO" && make install DESTDIR="$TRASH/inst" PREFIX=/usr >/dev/null 2>&1) &&
	test -f inst/usr/share/bash-completion/completions/tk &&
	test -L inst/usr/share/bash-completion/completions/tk-exec &&
	test -L inst/usr/share/bash-completion/completions/tk-start
'

test_expect_success 'cleanup' '
	tk-rm -f webby donezo >/dev/null &&
	test_wait_until 20 "! pgrep -f -- $m"
'

test_done
