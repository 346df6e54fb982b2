#!/bin/sh
test_description='tk-pull --insecure: plain HTTP and unverified TLS for a registry that is not on loopback, only when asked'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_LIB/registry-lib.sh"

test_have_registry || test_skip_all "docker-registry or skopeo not installed"
test_have_prereq ROOT,PYTHON3,BUSYBOX || test_skip_all "needs root, python3 and busybox-static"
command -v openssl >/dev/null && command -v ip >/dev/null || test_skip_all "needs openssl and ip"

# Two registries on 10.251.0.1, an address that is not loopback, in a
# network namespace of the test's own: one plain HTTP, one HTTPS with a
# self-signed certificate. Everything that talks to them runs in there.
A=10.251.0.1

test_expect_success 'setup: helper, an image, a certificate for 10.251.0.1' '
	tk_setup_helper &&
	tk_build_busybox_tar bb.tar none &&
	man=$($MKOCI add lay --tag bb bb.tar) &&
	cfg=$(jq -r .config.digest lay/blobs/sha256/$man | cut -d: -f2) &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=tk-test-insecure" \
		-addext "subjectAltName=IP:$A" -keyout key.pem -out cert.pem 2>/dev/null &&
	for r in plain tls; do
		mkdir -p "reg-$r" && {
		echo "version: 0.1"
		echo "log: {level: info}"
		echo "storage: {filesystem: {rootdirectory: $TRASH/reg-$r}}"
		if test $r = plain; then echo "http: {addr: \"$A:5000\"}"
		else echo "http: {addr: \"$A:5443\", tls: {certificate: $TRASH/cert.pem, key: $TRASH/key.pem}}"
		fi
		} >"$r.yml" || return 1
	done &&
	cat >inns.sh <<-EOF
	set -e
	ip link set lo up
	ip addr add $A/32 dev lo
	docker-registry serve plain.yml >plain.log 2>&1 & p1=\$!
	docker-registry serve tls.yml >tls.log 2>&1 & p2=\$!
	trap "kill \$p1 \$p2" EXIT
	for i in \$(seq 100); do
		curl -s -o /dev/null http://$A:5000/v2/ && curl -sk -o /dev/null https://$A:5443/v2/ && break
		sleep 0.2
	done
	skopeo copy -q --dest-tls-verify=false oci:lay:bb docker://$A:5000/t/bb:1
	skopeo copy -q --dest-tls-verify=false oci:lay:bb docker://$A:5443/t/bb:1
	set +e
	tk-pull --root s1 $A:5000/t/bb:1 >plain.out 2>plain.err; echo \$? >plain.rc
	tk-pull --root s2 --insecure $A:5000/t/bb:1 >plain-i.out 2>plain-i.err; echo \$? >plain-i.rc
	tk-pull --root s3 $A:5443/t/bb:1 >tls.out 2>tls.err; echo \$? >tls.rc
	tk-pull --root s4 --insecure $A:5443/t/bb:1 >tls-i.out 2>tls-i.err; echo \$? >tls-i.rc
	exit 0
	EOF
	unshare -n sh inns.sh
'

test_expect_success 'plain HTTP off loopback: refused without --insecure, with a clear line' '
	test "$(cat plain.rc)" = 1 &&
	test_one_line_error plain.err tk-pull &&
	test_grep "$A:5000" plain.err &&
	test -z "$(ls -A s1/images)"
'

test_expect_success 'plain HTTP off loopback with --insecure: pulled' '
	test "$(cat plain-i.rc)" = 0 &&
	test "$(cat plain-i.out)" = "$cfg"
'

test_expect_success 'a self-signed certificate: refused without --insecure, with a clear line' '
	test "$(cat tls.rc)" = 1 &&
	test_one_line_error tls.err tk-pull &&
	test_grep -i "certificate" tls.err &&
	test -z "$(ls -A s3/images)"
'

test_expect_success 'a self-signed certificate with --insecure: pulled over TLS' '
	test "$(cat tls-i.rc)" = 0 &&
	test "$(cat tls-i.out)" = "$cfg" &&
	: the failed pull never got past the handshake: one GET, from the second &&
	test "$(grep -c "\"GET /v2/t/bb/manifests/1" tls.log)" = 1
'

test_done
