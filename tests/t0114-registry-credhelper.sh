#!/bin/sh
test_description='tk-pull: Docker credential helpers (credsStore, credHelpers); tk login and tk logout'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_LIB/registry-lib.sh"

test_have_registry || test_skip_all "docker-registry or skopeo not installed"
test_have_prereq PYTHON3,BUSYBOX || test_skip_all "needs python3 and busybox-static"
command -v htpasswd >/dev/null || test_skip_all "htpasswd (apache2-utils) not installed"

# A credential helper as docker-credential-pass or -secretservice are:
# `get`, the server on stdin, JSON on stdout; "not found" on stdout and
# exit 1 for a server it does not know. It logs its argv and stdin.
make_helper() {
	cat >"$TRASH/credbin/docker-credential-$1" <<-EOF
	#!/bin/sh
	server=\$(cat)
	printf '%s|%s\n' "\$*" "\$server" >>"$TRASH/helper-$1.log"
	$2
	EOF
	chmod +x "$TRASH/credbin/docker-credential-$1"
}

docker_config() {
	printf '%s\n' "$1" >"$HOME/.docker/config.json"
}

test_expect_success 'setup: a registry with htpasswd auth; fake credential helpers on PATH' '
	tk_setup_helper &&
	htpasswd -Bbc htpasswd alice s3cret 2>/dev/null &&
	reg_start auth "$TRASH/htpasswd" &&
	A=127.0.0.1:$REG_PORT &&
	tk_build_busybox_tar bb.tar none &&
	man=$($MKOCI add lay --tag bb bb.tar) &&
	reg_push lay:bb $A/priv/bb:1 --dest-creds alice:s3cret &&
	cfg=$(jq -r .config.digest lay/blobs/sha256/$man | cut -d: -f2) &&
	HOME=$TRASH/home && export HOME && mkdir -p "$HOME/.docker" &&
	unset XDG_CONFIG_HOME DOCKER_CONFIG &&
	mkdir "$TRASH/credbin" && PATH=$TRASH/credbin:$PATH && export PATH &&
	make_helper tktest "
		if test \"\$server\" = \"$A\"; then
			echo \"{\\\"ServerURL\\\":\\\"$A\\\",\\\"Username\\\":\\\"alice\\\",\\\"Secret\\\":\\\"s3cret\\\"}\"
		else
			echo \"credentials not found in native keychain\"; exit 1
		fi" &&
	make_helper empty "echo \"credentials not found in native keychain\"; exit 1" &&
	make_helper broken "echo \"cannot reach the keyring\" >&2; exit 3" &&
	make_helper garbage "echo \"{not json\"" &&
	make_helper token "echo \"{\\\"Username\\\":\\\"<token>\\\",\\\"Secret\\\":\\\"abc\\\"}\""
'

test_expect_success 'credsStore: the helper is asked "get" with the host on stdin' '
	docker_config "{\"credsStore\":\"tktest\",\"auths\":{\"$A\":{}}}" &&
	id=$(tk-pull --root "$TRASH/s1" $A/priv/bb:1) &&
	test "$id" = "$cfg" &&
	echo "get|$A" >expect &&
	test_cmp expect "$TRASH/helper-tktest.log"
'

test_expect_success 'the secret is in no argv, environment or store file' '
	! grep -r s3cret "$TRASH/s1" "$TRASH/helper-tktest.log"
'

test_expect_success 'credHelpers for the host comes before credsStore' '
	docker_config "{\"credsStore\":\"nosuch\",\"credHelpers\":{\"$A\":\"tktest\"}}" &&
	id=$(tk-pull --root "$TRASH/s2" $A/priv/bb:1) &&
	test "$id" = "$cfg"
'

test_expect_success 'credHelpers for another host is not asked' '
	: >"$TRASH/helper-tktest.log" &&
	docker_config "{\"credHelpers\":{\"other.example:5000\":\"tktest\"}}" &&
	test_must_fail tk-pull --root "$TRASH/s3" $A/priv/bb:1 2>err &&
	test_grep "tk-login" err &&
	test_line_count = 0 "$TRASH/helper-tktest.log"
'

test_expect_success 'a helper without credentials for the host: the auths entry is used' '
	docker_config "{\"credsStore\":\"empty\",\"auths\":{\"$A\":{\"auth\":\"$(printf alice:s3cret | base64)\"}}}" &&
	id=$(tk-pull --root "$TRASH/s4" $A/priv/bb:1) &&
	test "$id" = "$cfg" &&
	test_grep "^get|$A\$" "$TRASH/helper-empty.log"
'

test_expect_success 'a helper that is not installed: one clear line naming it' '
	docker_config "{\"credsStore\":\"desktop\"}" &&
	test_must_fail tk-pull --root "$TRASH/s5" $A/priv/bb:1 2>err &&
	test_one_line_error err tk-pull &&
	test_grep "docker-credential-desktop.*not installed" err
'

test_expect_success 'a helper that fails, or answers garbage: clear errors' '
	docker_config "{\"credsStore\":\"broken\"}" &&
	test_must_fail tk-pull --root "$TRASH/s6" $A/priv/bb:1 2>err &&
	test_grep "cannot reach the keyring" err &&
	test_grep "tk-pull: credential helper .docker-credential-broken.* failed" err &&
	docker_config "{\"credsStore\":\"garbage\"}" &&
	test_must_fail tk-pull --root "$TRASH/s6" $A/priv/bb:1 2>err &&
	test_one_line_error err tk-pull &&
	test_grep "no Username and Secret" err &&
	docker_config "{\"credsStore\":\"token\"}" &&
	test_must_fail tk-pull --root "$TRASH/s6" $A/priv/bb:1 2>err &&
	test_one_line_error err tk-pull &&
	test_grep "identity token" err &&
	test -z "$(ls -A "$TRASH/s6/images" 2>/dev/null)"
'

test_expect_success 'a helper name that is not a plain name is refused, nothing run' '
	for name in "../../bin/sh" "a b" "" "-x"; do
		docker_config "{\"credsStore\":\"$name\"}" &&
		test_must_fail tk-pull --root "$TRASH/s7" $A/priv/bb:1 2>err &&
		test_one_line_error err tk-pull || return 1
	done &&
	test_grep "bad credential helper name" err
'

test_expect_success '--creds and --authfile are not overridden by credsStore' '
	docker_config "{\"credsStore\":\"desktop\"}" &&
	id=$(tk-pull --root "$TRASH/s8" --creds alice:s3cret $A/priv/bb:1) &&
	test "$id" = "$cfg" &&
	printf "{\"auths\":{\"%s\":{\"auth\":\"%s\"}}}\n" "$A" \
		"$(printf alice:s3cret | base64)" >af.json &&
	id=$(tk-pull --root "$TRASH/s8" --authfile af.json $A/priv/bb:1) &&
	test "$id" = "$cfg"
'

test_expect_success 'tk login and tk logout through the front door' '
	rm "$HOME/.docker/config.json" &&
	echo s3cret | tk login -u alice --password-stdin $A >out &&
	test_grep "Login Succeeded" out &&
	id=$(tk pull --root "$TRASH/s9" $A/priv/bb:1) &&
	test "$id" = "$cfg" &&
	tk logout $A >out &&
	test_grep "Removed" out &&
	test_must_fail tk pull --root "$TRASH/s10" $A/priv/bb:1 2>err &&
	test_grep "tk-login" err &&
	test_must_fail tk logout $A 2>err &&
	test_grep "not logged in" err
'

test_done
