#!/bin/sh
test_description='tk-pull against docker-registry'"'"'s own token auth (JWTs from a token service of the tests)'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_LIB/registry-lib.sh"

test_have_registry || test_skip_all "docker-registry or skopeo not installed"
test_have_prereq PYTHON3,BUSYBOX || test_skip_all "needs python3 and busybox-static"
command -v openssl >/dev/null || test_skip_all "openssl not installed"

test_expect_success 'setup: token service, registry with token auth, an image pushed' '
	tk_setup_helper &&
	token_start anon &&
	reg_start_token anon &&
	R=127.0.0.1:$REG_PORT &&
	test "$(curl -s -o /dev/null -w "%{http_code}" http://$R/v2/)" = 401 &&
	tk_build_busybox_tar bb.tar none &&
	man=$($MKOCI add lay --tag bb bb.tar) &&
	reg_push lay:bb $R/t/bb:1 &&
	cfg=$(jq -r .config.digest lay/blobs/sha256/$man | cut -d: -f2)
'

test_expect_success 'an anonymous token for repository:t/bb:pull, then the image' '
	: >"$TOKEN_LOG" &&
	id=$(tk-pull $R/t/bb:1) &&
	test "$id" = "$cfg" &&
	test_grep "^GET /token - repository:t/bb:pull$" "$TOKEN_LOG" &&
	test_grep -v "push" "$TOKEN_LOG"
'

test_expect_success 'unchanged: one manifest request, no blob, one token' '
	cp "$REG_DIR/log" log.before &&
	: >"$TOKEN_LOG" &&
	id=$(tk-pull $R/t/bb:1) &&
	test "$id" = "$cfg" &&
	test $(( $(manifest_gets "$REG_DIR/log" t/bb) - $(manifest_gets log.before t/bb) )) = 1 &&
	test "$(blob_gets log.before t/bb)" = "$(blob_gets "$REG_DIR/log" t/bb)" &&
	test_line_count = 1 "$TOKEN_LOG"
'

test_expect_success 'a token service that wants credentials: refused without, pulled with' '
	token_start user alice:s3cret &&
	reg_start_token user &&
	U=127.0.0.1:$REG_PORT &&
	reg_push lay:bb $U/t/bb:1 --dest-creds alice:s3cret &&
	test_must_fail tk-pull --root "$TRASH/u" $U/t/bb:1 2>err &&
	test_one_line_error err tk-pull &&
	test_grep "tk-login" err &&
	id=$(tk-pull --root "$TRASH/u" --creds alice:s3cret $U/t/bb:1) &&
	test "$id" = "$cfg" &&
	test_grep "^GET /token Basic repository:t/bb:pull$" "$TOKEN_LOG"
'

test_expect_success 'tk-login with the token service, then pull' '
	HOME=$TRASH/home && export HOME && mkdir -p "$HOME" && unset XDG_CONFIG_HOME &&
	echo wrong | test_must_fail tk-login -u alice --password-stdin $U 2>err &&
	test_one_line_error err tk-login &&
	echo s3cret | tk-login -u alice --password-stdin $U >out &&
	id=$(tk-pull --root "$TRASH/u2" $U/t/bb:1) &&
	test "$id" = "$cfg"
'

test_expect_success 'identity token: setup, a token service that takes only an OAuth2 refresh grant' '
	token_start oauth pusher:pw refresh=id-tok-7f3a &&
	reg_start_token oauth &&
	O=127.0.0.1:$REG_PORT &&
	reg_push lay:bb $O/t/bb:1 --dest-creds pusher:pw &&
	HOME=$TRASH/home-o && export HOME && mkdir -p "$HOME/.docker" &&
	unset XDG_CONFIG_HOME DOCKER_CONFIG
'

test_expect_success 'identity token from config.json: POSTed as a refresh grant, the image pulled' '
	printf "{\"auths\":{\"%s\":{\"auth\":\"%s\",\"identitytoken\":\"id-tok-7f3a\"}}}\n" \
		"$O" "$(printf "me:" | base64)" >"$HOME/.docker/config.json" &&
	: >"$TOKEN_LOG" &&
	id=$(tk-pull --root "$TRASH/o1" $O/t/bb:1) &&
	test "$id" = "$cfg" &&
	test_grep "^POST /token refresh_token repository:t/bb:pull$" "$TOKEN_LOG" &&
	test_grep -v "^GET" "$TOKEN_LOG" &&
	! grep -r id-tok-7f3a "$TRASH/o1"
'

test_expect_success 'a refused identity token: one line saying to log in again, nothing stored' '
	printf "{\"auths\":{\"%s\":{\"identitytoken\":\"stale\"}}}\n" "$O" \
		>"$HOME/.docker/config.json" &&
	test_must_fail tk-pull --root "$TRASH/o2" $O/t/bb:1 2>err &&
	test_one_line_error err tk-pull &&
	test_grep "identity token for .$O. (from .*config.json) was refused.*log in again" err &&
	test -z "$(ls -A "$TRASH/o2/images" 2>/dev/null)"
'

test_expect_success 'identity token from a credential helper (Username "<token>")' '
	mkdir -p "$TRASH/credbin-o" &&
	printf "#!/bin/sh\ncat >/dev/null\necho {\\\"Username\\\":\\\"\<token\>\\\",\\\"Secret\\\":\\\"id-tok-7f3a\\\"}\n" \
		>"$TRASH/credbin-o/docker-credential-otest" &&
	chmod +x "$TRASH/credbin-o/docker-credential-otest" &&
	"$TRASH/credbin-o/docker-credential-otest" </dev/null | jq -e ".Username == \"<token>\"" &&
	echo "{\"credsStore\":\"otest\"}" >"$HOME/.docker/config.json" &&
	: >"$TOKEN_LOG" &&
	id=$(PATH=$TRASH/credbin-o:$PATH tk-pull --root "$TRASH/o3" $O/t/bb:1) &&
	test "$id" = "$cfg" &&
	test_grep "^POST /token refresh_token repository:t/bb:pull$" "$TOKEN_LOG"
'

test_done
