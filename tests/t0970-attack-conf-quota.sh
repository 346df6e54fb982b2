#!/bin/sh
test_description='attack table rows 27 and 29: a tk.conf others could write is refused, and the refused run leaves no container; the container quota is exact under 100 parallel runs; setuid and sudo mode'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib/attack.sh"

test_have_prereq ROOT || test_skip_all "needs root (creates test users, installs the helper)"
test_have_prereq USERNS || test_skip_all "unprivileged user namespaces are disabled"
test_have_prereq BUSYBOX,JQ,CC || test_skip_all "needs busybox-static, jq and a C compiler"

. "$TEST_DIRECTORY/lib/cgroup.sh"

QUOTA=5

# Both helpers read $TRASH/etc/tk/tk.conf (build_conf_helper); the sudo
# copy is the same binary, root:root 0755.
test_expect_success 'setup: helpers reading a test tk.conf, member alice, an image' '
	attack_setup &&
	build_conf_helper &&
	cp "$SETUID_HELPER" "$SUDO_HELPER" &&
	chown root:root "$SUDO_HELPER" && chmod 0755 "$SUDO_HELPER" &&
	tk_add_user alice &&
	forget_uid_cgroups "$(tk_user_uid alice)" &&
	tk_build_busybox_tar "$TRASH/bb.tar.gz" && chmod 644 "$TRASH/bb.tar.gz" &&
	conf "max-containers = $QUOTA" &&
	tk_as alice tk-pull -q --name bb "tar:$TRASH/bb.tar.gz" >/dev/null &&
	tk_as alice tk-run --rm bb /bin/true
'
test_atexit 'tk_as alice sh -c "tk-ls -q | tk-rm -f -" >/dev/null 2>&1'

# bad_conf WHAT: put tk.conf (or its directory) in state WHAT.
bad_conf() {
	c=$TRASH/etc/tk/tk.conf
	case $1 in
	group-writable) chmod 664 "$c" ;;
	world-writable) chmod 646 "$c" ;;
	user-owned) chown "$(tk_user alice)" "$c" ;;
	group-owned) chgrp tk "$c" && chmod 664 "$c" ;;
	symlink) mv "$c" "$c.real" && ln -s "$c.real" "$c" ;;
	fifo) mv "$c" "$c.real" && mkfifo -m 644 "$c" ;;
	directory) mv "$c" "$c.real" && mkdir "$c" ;;
	writable-parent) chmod 777 "$TRASH/etc/tk" ;;
	writable-grandparent) chmod 777 "$TRASH/etc" ;;
	user-owned-parent) chown "$(tk_user alice)" "$TRASH/etc/tk" ;;
	esac
}

good_conf() {
	c=$TRASH/etc/tk/tk.conf
	if test -e "$c.real"; then rm -rf "$c" && mv "$c.real" "$c"; fi &&
	chown root:root "$c" "$TRASH/etc/tk" &&
	chmod 644 "$c" && chmod 755 "$TRASH/etc/tk" "$TRASH/etc"
}

for mode in $(attack_modes); do

# Row 27: a tk.conf anyone but root could have written sets no policy:
# the helper refuses to run at all (before it starts anything).
for what in group-writable world-writable user-owned group-owned symlink fifo directory \
	writable-parent writable-grandparent user-owned-parent
do
	test_expect_success "[$mode] row 27: a tk.conf that is $what: the helper refuses to run and leaves no container" '
		attack_mode '$mode' &&
		oracle_before alice &&
		bad_conf '$what' &&
		tk_as alice tk-run --rm bb /bin/true >out 2>err
		st=$?
		good_conf &&
		cat err &&
		test $st = 125 &&
		clear_error err &&
		test_grep "tk.conf\|/etc" err &&
		test_line_count = 0 out &&
		tk_as alice tk-ls -q -a >left &&
		test_line_count = 0 left &&
		oracle_after
	'
done

# Row 29: the quota holds exactly when 100 runs race for it (rule 15: the
# count and the new record under one lock); the refused leave nothing.
# Every container that starts sleeps on, so exactly $QUOTA started means
# never more than $QUOTA ran at once.
test_expect_success "[$mode] row 29: 100 parallel tk-run --rm -d never run more than $QUOTA, and the refused leave no container" '
	attack_mode '$mode' &&
	oracle_before alice &&
	tk_as alice sh -c "
		i=0
		while test \$i -lt 100; do
			i=\$((i + 1))
			tk-run --rm -d bb /bin/sleep 1000 >out.\$i 2>err.\$i &
		done
		wait
		cat err.* >errs; cat out.* >ids; rm -f out.* err.*
	" &&
	home=$(tk_user_home alice) &&
	test_line_count = $QUOTA "$home/ids" &&
	test $(grep -c "max-containers" "$home/errs") = $((100 - QUOTA)) &&
	test_line_count = $((100 - QUOTA)) "$home/errs" &&
	tk_as alice tk-ls -q >running &&
	test_line_count = $QUOTA running &&
	tk_as alice tk-ls -q -a >all &&
	test_line_count = $QUOTA all &&
	tk_as alice sh -c "tk-ls -q | tk-rm -f -" >/dev/null &&
	tk_as alice tk-ls -q -a >left &&
	test_line_count = 0 left &&
	tk_as alice tk-run --rm bb /bin/true &&
	oracle_after
'

done

test_done
