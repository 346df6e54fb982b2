#!/usr/bin/env python3
"""hostile-layers.py KIND OUTPREFIX TARGETDIR: layer tarballs for the
registry hostile-image tests (more kinds than hostile-tar.py; some are two
layers). Writes OUTPREFIX-1.tar (and OUTPREFIX-2.tar), uncompressed.

  sym-then-write   1: evil -> TARGETDIR          2: evil/pwned
  sym-dotdot       1: x -> ../../(...)/TARGETDIR  2: x/y
  hardlink-cross   1: link -> TARGETDIR/canary (symlink)  2: hard -> link, then hard written
  wh-symlink       1: etc2 -> TARGETDIR          2: .wh.etc2 and etc2/pwned
  opq-root         1: .wh..wh..opq at the root, and a file
  suid-root        1: a setuid root file and a setgid directory
  xattrs           1: security.capability, trusted.x, user.overlay.opaque,
                      user.ok on one file
  deep             1: a file 300 directories deep
  bomb             1: one file of 100 MB of zeros (the blob is tiny once gzipped)
"""
import io
import sys
import tarfile

kind, out, target = sys.argv[1], sys.argv[2], sys.argv[3].rstrip("/")
up = "../" * 40


def ti(name, typ=tarfile.REGTYPE, mode=0o644, link="", size=0, pax=None):
    t = tarfile.TarInfo(name)
    t.type, t.mode, t.linkname, t.size = typ, mode, link, size
    if pax:
        t.pax_headers = pax
    return t


def layer(n, entries):
    with tarfile.open("%s-%d.tar" % (out, n), "w", format=tarfile.PAX_FORMAT) as tf:
        for t, data in entries:
            if t.type == tarfile.REGTYPE:
                data = data if data is not None else b"pwned\n"
                t.size = len(data)
                tf.addfile(t, io.BytesIO(data))
            else:
                tf.addfile(t)


D, L, S = tarfile.DIRTYPE, tarfile.LNKTYPE, tarfile.SYMTYPE
if kind == "sym-then-write":
    layer(1, [(ti("evil", S, link=target), None)])
    layer(2, [(ti("evil", D, 0o755), None), (ti("evil/pwned"), None)])
elif kind == "sym-dotdot":
    layer(1, [(ti("x", S, link=up + target.lstrip("/")), None)])
    layer(2, [(ti("x", D, 0o755), None), (ti("x/y"), None)])
elif kind == "hardlink-cross":
    layer(1, [(ti("link", S, link=target + "/canary"), None)])
    layer(2, [(ti("hard", L, link="link"), None), (ti("hard"), b"pwned\n")])
elif kind == "wh-symlink":
    layer(1, [(ti("etc2", S, link=target), None)])
    layer(2, [(ti(".wh.etc2"), b""), (ti("etc2", D, 0o755), None), (ti("etc2/pwned"), None)])
elif kind == "opq-root":
    layer(1, [(ti(".wh..wh..opq"), b""), (ti("file"), b"ok\n")])
elif kind == "suid-root":
    layer(1, [(ti("suid", mode=0o4755), b"#!/bin/sh\n"), (ti("sgid", D, 0o2775), None)])
elif kind == "xattrs":
    layer(1, [(ti("f", pax={"SCHILY.xattr.security.capability": "\x01\x00\x00\x02" + "\x00" * 16,
                            "SCHILY.xattr.trusted.x": "t",
                            "SCHILY.xattr.user.overlay.opaque": "y",
                            "SCHILY.xattr.user.ok": "fine"}), b"x\n")])
elif kind == "deep":
    layer(1, [(ti("d/" * 300 + "f"), None)])
elif kind == "bomb":
    with tarfile.open(out + "-1.tar", "w", format=tarfile.PAX_FORMAT) as tf:
        class Zeros(io.RawIOBase):
            def __init__(self, n):
                self.n = n

            def readable(self):
                return True
            def readinto(self, b):
                k = min(len(b), self.n)
                b[:k] = bytes(k)
                self.n -= k
                return k
        t = ti("zeros", size=100 << 20)
        tf.addfile(t, io.BufferedReader(Zeros(100 << 20)))
else:
    sys.exit("hostile-layers.py: unknown kind " + kind)
