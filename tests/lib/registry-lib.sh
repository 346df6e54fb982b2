# Shell functions for tests against a real registry (Debian's
# docker-registry, the CNCF distribution registry). Source after
# test-lib.sh. Every registry and proxy runs on 127.0.0.1 on a free port,
# with its own config and data directory under $TRASH, and is stopped by
# pid when the script ends.

MKOCI="$PYTHON $TEST_LIB/mkoci.py"

# REGISTRY: the prerequisite (docker-registry and skopeo installed).
test_have_registry() {
	command -v docker-registry >/dev/null && command -v skopeo >/dev/null
}

# reg_start NAME [HTPASSWD]: start a registry in $TRASH/reg-NAME; sets
# REG_PORT, REG_DIR (its log is $REG_DIR/log, its blobs under
# $REG_DIR/data).
reg_start() {
	REG_DIR=$TRASH/reg-$1
	mkdir -p "$REG_DIR/data" || return 1
	REG_PORT=$($PYTHON -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') || return 1
	{
		echo "version: 0.1"
		echo "log: {level: info}"
		echo "storage:"
		echo "  filesystem: {rootdirectory: $REG_DIR/data}"
		echo "  delete: {enabled: true}"
		echo "http: {addr: 127.0.0.1:$REG_PORT}"
		if test -n "$2"; then
			echo "auth:"
			echo "  htpasswd: {realm: tk-test, path: $2}"
		fi
	} >"$REG_DIR/config.yml"
	docker-registry serve "$REG_DIR/config.yml" >"$REG_DIR/log" 2>&1 &
	echo $! >"$REG_DIR/pid"
	test_atexit "kill $(cat "$REG_DIR/pid") 2>/dev/null"
	test_wait_until 20 "curl -s -o /dev/null http://127.0.0.1:$REG_PORT/v2/"
}

# proxy_start NAME UPSTREAM_PORT [regproxy options]: sets PROXY_PORT and
# PROXY_LOG.
proxy_start() {
	_pn=$1
	_up=$2
	shift 2
	PROXY_LOG=$TRASH/proxy-$_pn.log
	: >"$PROXY_LOG"
	rm -f "$TRASH/proxy-$_pn.port"
	$PYTHON "$TEST_LIB/regproxy.py" "$TRASH/proxy-$_pn.port" "$PROXY_LOG" "$_up" "$@" &
	_ppid=$!
	test_atexit "kill $_ppid 2>/dev/null"
	test_wait_until 20 "test -s $TRASH/proxy-$_pn.port" || return 1
	PROXY_PORT=$(cat "$TRASH/proxy-$_pn.port")
}

# reg_push LAYOUT:TAG HOST:PORT/REPO:TAG [skopeo options]: push with skopeo.
reg_push() {
	_src=$1
	_dst=$2
	shift 2
	skopeo copy --all --dest-tls-verify=false "$@" "oci:$_src" "docker://$_dst" >/dev/null
}

# manifest_gets LOG REPO: how many manifest requests the registry log has.
manifest_gets() {
	grep -c -E "\"(GET|HEAD) /v2/$2/manifests/" "$1"
}

# blob_gets LOG REPO
blob_gets() {
	grep -c -E "\"(GET|HEAD) /v2/$2/blobs/" "$1"
}

# reg_blob_file REGDIR HEX: where the registry keeps a blob.
reg_blob_file() {
	echo "$1/data/docker/registry/v2/blobs/sha256/$(printf %.2s "$2")/$2/data"
}

# token_start NAME [USER:PASS] [refresh=TOKEN]: a token service of the tests' own
# (tokenserver.py) with a fresh key and self-signed certificate; sets
# TOKEN_PORT, TOKEN_LOG, TOKEN_CERT.
token_start() {
	_td=$TRASH/token-$1
	mkdir -p "$_td" &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=tk-test-token-$1" \
		-keyout "$_td/key.pem" -out "$_td/cert.pem" 2>/dev/null || return 1
	TOKEN_CERT=$_td/cert.pem
	TOKEN_LOG=$_td/log
	: >"$TOKEN_LOG"
	shift
	$PYTHON "$TEST_LIB/tokenserver.py" "$_td/port" "$TOKEN_LOG" "$_td/key.pem" \
		"$_td/cert.pem" tk-test-issuer "$@" &
	_tpid=$!
	test_atexit "kill $_tpid 2>/dev/null"
	test_wait_until 20 "test -s $_td/port" || return 1
	TOKEN_PORT=$(cat "$_td/port")
}

# reg_start_token NAME: a registry whose auth is docker-registry's own
# "token" scheme, trusting the last token_start's certificate.
reg_start_token() {
	REG_DIR=$TRASH/reg-$1
	mkdir -p "$REG_DIR/data" || return 1
	REG_PORT=$($PYTHON -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') || return 1
	cat >"$REG_DIR/config.yml" <<-EOC
	version: 0.1
	log: {level: info}
	storage:
	  filesystem: {rootdirectory: $REG_DIR/data}
	http: {addr: 127.0.0.1:$REG_PORT}
	auth:
	  token:
	    realm: http://127.0.0.1:$TOKEN_PORT/token
	    service: tk-test
	    issuer: tk-test-issuer
	    rootcertbundle: $TOKEN_CERT
	EOC
	docker-registry serve "$REG_DIR/config.yml" >"$REG_DIR/log" 2>&1 &
	echo $! >"$REG_DIR/pid"
	test_atexit "kill $(cat "$REG_DIR/pid") 2>/dev/null"
	test_wait_until 20 "curl -s -o /dev/null http://127.0.0.1:$REG_PORT/v2/"
}

# The tree of a pulled image as a list: every name (but the mount points
# and the files tk-run binds), its type and mode, owner, size, link count,
# link target and content digest (a directory's link count is left out:
# overlay gives a merged directory 1). The same script runs inside a container
# (busybox) and over umoci's bundle on the host (coreutils).
tree_list='for top in $(ls -A); do
		case $top in dev|proc|sys) continue ;; esac
		find "$top"
	done | sort | grep -v -x -e etc/hostname -e etc/hosts -e etc/resolv.conf |
	while read -r f; do
		stat -c "%n %f %u:%g %s" "$f"
		test -d "$f" || stat -c "links %h" "$f"
		test -L "$f" && readlink "$f"
		test -f "$f" && ! test -L "$f" && sha256sum "$f" | cut -c1-64
	done; true'

# same_tree REF LAYOUT:TAG [tk-pull options]: the tree tk-run shows for REF
# (pulled into a store of its own) is the one umoci unpack makes from
# LAYOUT:TAG.
same_tree() {
	_ref=$1 _img=$2 && shift 2 &&
	_b=$TRASH/umoci-$(echo "$_img" | tr : -) &&
	{ test -d "$_b" || umoci unpack --image "$_img" "$_b" >/dev/null; } &&
	_id=$(tk-pull --root "$TRASH/fidelity" -q "$@" "$_ref") &&
	tk-run --root "$TRASH/fidelity" --rm "$_id" /bin/sh -c "cd / && $tree_list" >tk.list &&
	(cd "$_b/rootfs" && sh -c "$tree_list") >umoci.list &&
	test "$(wc -l <tk.list)" -gt 400 &&
	test_cmp umoci.list tk.list
}
