#!/bin/sh
test_description='tk-pull and tk-login: Basic auth (htpasswd), Bearer tokens, redirects'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_LIB/registry-lib.sh"

test_have_registry || test_skip_all "docker-registry or skopeo not installed"
test_have_prereq PYTHON3,BUSYBOX || test_skip_all "needs python3 and busybox-static"
command -v htpasswd >/dev/null || test_skip_all "htpasswd (apache2-utils) not installed"

test_expect_success 'setup: a registry with htpasswd auth, an image pushed with creds' '
	tk_setup_helper &&
	htpasswd -Bbc htpasswd alice s3cret 2>/dev/null &&
	reg_start auth "$TRASH/htpasswd" &&
	A=127.0.0.1:$REG_PORT &&
	AUTH_DIR=$REG_DIR &&
	tk_build_busybox_tar bb.tar none &&
	man=$($PYTHON $TEST_LIB/mkoci.py add lay --tag bb bb.tar) &&
	reg_push lay:bb $A/priv/bb:1 --dest-creds alice:s3cret &&
	cfg=$(jq -r .config.digest lay/blobs/sha256/$man | cut -d: -f2) &&
	HOME=$TRASH/home && export HOME && mkdir -p "$HOME" &&
	unset XDG_CONFIG_HOME DOCKER_CONFIG
'

test_expect_success 'no credentials: refused, and the message says how to log in' '
	test_must_fail tk-pull $A/priv/bb:1 2>err &&
	test_one_line_error err tk-pull &&
	test_grep "tk-login" err
'

test_expect_success 'wrong credentials: refused' '
	test_must_fail tk-pull --creds alice:wrong $A/priv/bb:1 2>err &&
	test_one_line_error err tk-pull &&
	test_grep -i "denied\|refused" err
'

test_expect_success '--creds USER:PASS' '
	id=$(tk-pull --creds alice:s3cret $A/priv/bb:1) &&
	test "$id" = "$cfg"
'

test_expect_success '--authfile FILE (Docker config.json format)' '
	R2="$TRASH/s2" &&
	printf "{\"auths\":{\"%s\":{\"auth\":\"%s\"}}}\n" "$A" \
		"$(printf alice:s3cret | base64)" >af.json &&
	id=$(tk-pull --root "$R2" --authfile af.json $A/priv/bb:1) &&
	test "$id" = "$cfg" &&
	test_must_fail tk-pull --root "$R2" --authfile nonexistent.json $A/priv/bb:1 2>err &&
	test_grep "nonexistent.json" err
'

test_expect_success '~/.docker/config.json auths, keyed by URL' '
	R3="$TRASH/s3" &&
	mkdir -p "$HOME/.docker" &&
	printf "{\"auths\":{\"http://%s/v1/\":{\"username\":\"alice\",\"password\":\"s3cret\"}}}\n" \
		"$A" >"$HOME/.docker/config.json" &&
	id=$(tk-pull --root "$R3" $A/priv/bb:1) &&
	test "$id" = "$cfg" &&
	rm "$HOME/.docker/config.json"
'

test_expect_success 'tk-login: wrong password refused, nothing written' '
	echo wrong | test_must_fail tk-login -u alice --password-stdin $A 2>err &&
	test_one_line_error err tk-login &&
	test ! -e "$HOME/.config/tk/auth.json"
'

test_expect_success 'tk-login never prompts: -u and --password-stdin are required' '
	test_must_fail tk-login $A 2>err &&
	test_grep "password-stdin" err
'

test_expect_success 'tk-login: checked, then kept in ~/.config/tk/auth.json, mode 0600' '
	echo s3cret | tk-login -u alice --password-stdin $A >out &&
	test_grep "Login Succeeded" out &&
	test "$(stat -c %a "$HOME/.config/tk/auth.json")" = 600 &&
	test "$(stat -c %a "$HOME/.config/tk")" = 700 &&
	R4="$TRASH/s4" &&
	id=$(tk-pull --root "$R4" $A/priv/bb:1) &&
	test "$id" = "$cfg"
'

test_expect_success 'tk-login --logout forgets them' '
	tk-login --logout $A >out &&
	test_must_fail tk-pull --root "$TRASH/s5" $A/priv/bb:1 2>err &&
	test_grep "tk-login" err
'

test_expect_success 'credentials are never in the registry log or the store' '
	! grep -r s3cret "$TK_ROOT" "$AUTH_DIR/log" &&
	! grep -r "$(printf alice:s3cret | base64)" "$TK_ROOT"
'

# --- Bearer tokens from a token service (tests/lib/regproxy.py in front of
# an open registry)

test_expect_success 'setup: an open registry behind a token-auth proxy' '
	reg_start open &&
	O=127.0.0.1:$REG_PORT &&
	OPORT=$REG_PORT &&
	reg_push lay:bb $O/pub/bb:1 &&
	proxy_start anon $REG_PORT --token - &&
	P=127.0.0.1:$PROXY_PORT &&
	TOKEN_LOG=$PROXY_LOG
'

test_expect_success 'bearer: an anonymous token from the realm in the challenge' '
	id=$(tk-pull --root "$TRASH/b1" $P/pub/bb:1) &&
	test "$id" = "$cfg" &&
	test_grep "^GET /token" "$TOKEN_LOG" &&
	test_grep "^GET /v2/pub/bb/manifests/1 Bearer" "$TOKEN_LOG" &&
	test_grep "/blobs/sha256:.* Bearer" "$TOKEN_LOG"
'

test_expect_success 'bearer: a token service that wants credentials' '
	proxy_start user $OPORT --token alice:s3cret &&
	U=127.0.0.1:$PROXY_PORT &&
	test_must_fail tk-pull --root "$TRASH/b2" $U/pub/bb:1 2>err &&
	test_one_line_error err tk-pull &&
	test_grep "tk-login" err &&
	test_must_fail tk-pull --root "$TRASH/b2" --creds alice:nope $U/pub/bb:1 2>err &&
	test_grep "refused" err &&
	id=$(tk-pull --root "$TRASH/b2" --creds alice:s3cret $U/pub/bb:1) &&
	test "$id" = "$cfg"
'

test_expect_success 'tk-login against a token service' '
	echo nope | test_must_fail tk-login -u alice --password-stdin $U 2>err &&
	echo s3cret | tk-login -u alice --password-stdin $U >out &&
	id=$(tk-pull --root "$TRASH/b3" $U/pub/bb:1) &&
	test "$id" = "$cfg"
'

test_expect_success 'redirects to blob storage: followed, and no credentials sent there' '
	proxy_start redir $OPORT --token - --redirect &&
	id=$(tk-pull --root "$TRASH/b4" 127.0.0.1:$PROXY_PORT/pub/bb:1) &&
	test "$id" = "$cfg" &&
	test_grep "^storage GET /v2/pub/bb/blobs/sha256:.* -$" "$PROXY_LOG" &&
	test_grep -v "^storage .* Bearer" "$PROXY_LOG"
'

test_done
