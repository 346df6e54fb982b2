#!/bin/sh
# quickstart.sh: from a fresh Debian 12 to a running container, as root:
#
#     sudo make quickstart
#
# 1. installs the build and runtime dependencies (apt-get);
# 2. builds tk (as the invoking user when the tree is theirs) and installs
#    it as root: tools in $PREFIX/bin, tk-helper setuid 4750 root:tk;
# 3. creates group tk, adds the invoking user ($SUDO_USER) to it and gives
#    them /etc/subuid and /etc/subgid ranges of 65536 ids if they have none
#    (not root: its containers map root's own ids);
# 4. as that user: builds a busybox image, pulls it, runs a container.
#
# Running it again is harmless. PREFIX (default /usr/local) may be set in
# the environment: sudo PREFIX=/opt/tk make quickstart.
set -eu

prog=quickstart
say() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
step() { printf '\n==> %s\n' "$*" >&2; }

PREFIX=${PREFIX:-/usr/local}
BINDIR=${BINDIR:-$PREFIX/bin}
LIBEXECDIR=${LIBEXECDIR:-$PREFIX/libexec/tk}
export PREFIX BINDIR LIBEXECDIR
SUBIDS=65536

[ "$(id -u)" = 0 ] || die "run me as root: sudo make quickstart"
cd "$(dirname "$0")/.." || die "cannot find the source tree"
if [ ! -f Makefile ] || [ ! -f helper/protocol.h ]; then
	die "run me from the tk source tree (make quickstart)"
fi
src=$(pwd)

# The user this is for: whoever ran sudo, else root itself.
user=root
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
	user=$SUDO_USER
fi
uid=$(id -u "$user" 2>/dev/null) || die "no such user '$user'"
home=$(getent passwd "$user" | cut -d: -f6)
if [ -z "$home" ] || [ ! -d "$home" ]; then
	die "user '$user' has no home directory"
fi

# Run a command as $user, with a fresh group list (so a group added a
# moment ago applies) and the user's own HOME.
as_user() {
	if [ "$user" = root ]; then
		"$@"
	else
		runuser -u "$user" -- env HOME="$home" "$@"
	fi
}

# ---------------------------------------------------------------- 1
step "installing dependencies"
pkgs="build-essential libcap-dev libarchive-dev libjansson-dev libssl-dev libseccomp-dev libcurl4-openssl-dev busybox-static jq uidmap"
command -v apt-get >/dev/null ||
	die "apt-get not found: this script is for Debian and its derivatives; install by hand: $pkgs"
missing=
for p in $pkgs; do
	s=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null) || s=
	[ "$s" = installed ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
	say "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update || die "apt-get update failed"
	# shellcheck disable=SC2086
	apt-get install -y $missing || die "apt-get install failed:$missing"
else
	say "all installed: $pkgs"
fi

# ---------------------------------------------------------------- 2
step "building and installing tk (PREFIX=$PREFIX)"
# Build as the owner of the tree, so no root-owned files land in it.
owner=$(stat -c %U "$src")
if [ "$user" != root ] && [ "$owner" = "$user" ]; then
	as_user make -C "$src" || die "build failed (make, as $user)"
else
	make -C "$src" || die "build failed (make)"
fi
make -C "$src" install PREFIX="$PREFIX" || die "make install failed"

# ---------------------------------------------------------------- 3
step "group tk, membership and subordinate ids for $user"
getent group tk >/dev/null || groupadd --system tk || die "groupadd tk failed"
helper=$LIBEXECDIR/tk-helper
[ -x "$helper" ] || die "$helper is missing after make install"
chown root:tk "$helper" || die "cannot chown root:tk $helper"
chmod 4750 "$helper" || die "cannot make $helper setuid (chmod 4750)"
say "$(stat -c '%A %U:%G %n' "$helper")"
if [ "$user" != root ]; then
	if id -nG "$user" | tr ' ' '\n' | grep -qx tk; then
		say "$user is in group tk"
	else
		usermod -aG tk "$user" || die "cannot add $user to group tk"
		say "added $user to group tk (log in again for your shells to see it)"
		newgroup=1
	fi
fi

# Does $1 (/etc/subuid or /etc/subgid) have a range for $user?
has_subids() {
	[ -f "$1" ] && awk -F: -v n="$user" -v u="$uid" \
		'($1 == n || $1 == u) && $3 > 0 { f = 1 } END { exit !f }' "$1"
}

# The first range of $SUBIDS ids at or above 100000 that overlaps no line
# of /etc/subuid or /etc/subgid.
free_subids() {
	cat /etc/subuid /etc/subgid 2>/dev/null |
	awk -F: '$2 ~ /^[0-9]+$/ && $3 ~ /^[1-9][0-9]*$/ { print $2, $3 }' |
	sort -n -k1,1 |
	awk -v want="$SUBIDS" 'BEGIN { c = 100000 }
		{ if ($1 + $2 <= c) next; if ($1 >= c + want) exit; c = $1 + $2 }
		END { printf "%d\n", c }'
}

if [ "$user" = root ]; then
	: # root's containers map root's own ids 0-65535; no subordinate ids needed
elif has_subids /etc/subuid && has_subids /etc/subgid; then
	say "$user has subordinate ids: $(grep -E "^($user|$uid):" /etc/subuid | head -1)"
else
	a=$(free_subids)
	b=$((a + SUBIDS - 1))
	[ "$b" -lt 4294967295 ] || die "no free subordinate id range"
	set --
	has_subids /etc/subuid || set -- "$@" --add-subuids "$a-$b"
	has_subids /etc/subgid || set -- "$@" --add-subgids "$a-$b"
	usermod "$@" "$user" || die "usermod $* $user failed"
	say "gave $user subordinate ids $a-$b"
fi

# Unprivileged user namespaces: tk-pull unpacks layers in one.
if [ -r /proc/sys/kernel/unprivileged_userns_clone ] &&
	[ "$(cat /proc/sys/kernel/unprivileged_userns_clone)" = 0 ]; then
	say "warning: kernel.unprivileged_userns_clone is 0; tk needs it set to 1"
fi
if [ -r /proc/sys/user/max_user_namespaces ] &&
	[ "$(cat /proc/sys/user/max_user_namespaces)" = 0 ]; then
	say "warning: user.max_user_namespaces is 0; tk needs user namespaces"
fi

# ---------------------------------------------------------------- 4
step "first container, as $user"
img=$home/.cache/tk/busybox.tar.gz
as_user mkdir -p "$home/.cache/tk" || die "cannot create $home/.cache/tk"
as_user sh "$src/scripts/mkimage-busybox.sh" "$img" ||
	die "cannot make the busybox image"
say "image tarball: $img"

printf '$ tk-pull --name busybox tar:%s\n' "$img" >&2
as_user "$BINDIR/tk-pull" --name busybox "tar:$img" ||
	die "tk-pull failed (see above)"
printf '$ tk-run --rm busybox echo "hello from a tk container"\n' >&2
as_user "$BINDIR/tk-run" --rm busybox echo "hello from a tk container" ||
	die "tk-run failed (see above)"
printf '$ tk-run --rm busybox id\n' >&2
as_user "$BINDIR/tk-run" --rm busybox id ||
	die "tk-run failed (see above)"

# ---------------------------------------------------------------- 5
cat >&2 <<EOF

tk is installed. Next:
EOF
if [ "${newgroup:-}" ]; then
	cat >&2 <<EOF
  - you ($user) were just added to group tk: log out and in again
    (or run 'newgrp tk') before using tk from your own shells
EOF
fi
cat >&2 <<EOF
  - run a shell in a container:      tk run --rm busybox sh
  - list images and containers:      tk images; tk ls -a
  - run the tests:                   make check   (all of them: sudo make check)
  - read:                            man tk; man tk-run; man tk-helper
  - other users: add them to group tk (usermod -aG tk NAME); each needs
    /etc/subuid and /etc/subgid ranges (Debian's adduser gives new users one)
EOF
