#!/bin/sh
# mkimage-busybox.sh OUT.tar.gz
#
# Make a small root filesystem tarball offline from the host's static
# busybox (Debian: busybox-static), for `tk-pull tar:OUT.tar.gz`.
#
# Contents: bin/busybox and one symlink per applet (`busybox --list`),
# usr/bin/env (for #! lines), the usual top-level directories, etc/passwd
# with root, app (1000) and nobody, etc/group, empty etc/hostname, hosts and
# resolv.conf. Deterministic: the same
# busybox gives the same bytes (sorted names, mtime 0, numeric owners,
# gzip without a name or time stamp).
#
# BUSYBOX=/path/to/busybox picks another binary (default /bin/busybox).
set -eu

prog=mkimage-busybox.sh
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

case $# in
1) out=$1 ;;
*) printf 'usage: %s OUT.tar.gz\n' "$prog" >&2; exit 2 ;;
esac
case $out in
-h|--help) printf 'usage: %s OUT.tar.gz\n' "$prog"; exit 0 ;;
-*|'') die "bad output name '$out'" ;;
esac

bb=${BUSYBOX:-/bin/busybox}
[ -x "$bb" ] ||
	die "'$bb' not found: install busybox-static (apt-get install busybox-static)"
# A dynamic busybox would need the host's libc inside the image. `file` is
# not always installed; ldd is (libc-bin).
if ! LC_ALL=C ldd "$bb" 2>&1 | grep -q 'not a dynamic executable'; then
	die "'$bb' is not statically linked: install busybox-static, not busybox"
fi
command -v tar >/dev/null || die "tar not found"
command -v gzip >/dev/null || die "gzip not found"

umask 022
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkimage-busybox.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP
r=$tmp/rootfs
mkdir "$r"

mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/proc" "$r/sys" "$r/dev" "$r/root" \
	"$r/home/app" "$r/usr/bin" "$r/var"
chmod 1777 "$r/tmp"
chmod 0700 "$r/root"

cp "$bb" "$r/bin/busybox"
chmod 0755 "$r/bin/busybox"
applets=$("$r/bin/busybox" --list) || die "'$bb --list' failed"
[ -n "$applets" ] || die "'$bb --list' printed no applets"
for a in $applets; do
	case $a in
	busybox|*/*|.*) continue ;;
	esac
	ln -s busybox "$r/bin/$a"
done
[ -e "$r/bin/sh" ] || die "'$bb' has no sh applet"
ln -s ../../bin/busybox "$r/usr/bin/env"

cat >"$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000::/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$r/etc/group" <<'EOF'
root:x:0:
app:x:1000:
nogroup:x:65534:
EOF
# Empty, as in every `docker export`: the runtime binds its own over them.
: >"$r/etc/hostname"
: >"$r/etc/hosts"
: >"$r/etc/resolv.conf"
chmod 0644 "$r/etc/passwd" "$r/etc/group" "$r/etc/hostname" "$r/etc/hosts" "$r/etc/resolv.conf"

# Everything is owned by root in the image except the app user's home,
# which goes in a second pass with its own owner.
topts='--format=gnu --sort=name --mtime=@0 --numeric-owner'
# shellcheck disable=SC2086
tar -C "$r" $topts --owner=0 --group=0 --exclude=./home/app \
	-cf "$tmp/rootfs.tar" . ||
	die "tar failed"
# shellcheck disable=SC2086
tar -C "$r" $topts --owner=1000 --group=1000 --no-recursion \
	-rf "$tmp/rootfs.tar" ./home/app ||
	die "tar failed"

gzip -n -9 <"$tmp/rootfs.tar" >"$out.tmp.$$" || {
	rm -f "$out.tmp.$$"
	die "cannot write '$out'"
}
mv -f "$out.tmp.$$" "$out" || die "cannot write '$out'"
