#!/usr/bin/env python3
"""mklayers.py DIR: write the layer tarballs of the registry tests' multi-
layer image into DIR (uncompressed, deterministic):

  files.tar    data/owned (1000:1000, 0640), data/hard (hard link to it),
               data/sym -> owned, data/sgid/ (2755), data/suid (04755),
               etc/victim, opt/old/file, data/by-7 (7:7)
  changes.tar  etc/.wh.victim (whiteout), opt/.wh..wh..opq (opaque) and
               opt/new, data/owned replaced
  empty.tar    no entries
"""
import io
import os
import sys
import tarfile

d = sys.argv[1]


def entry(tf, name, typ=tarfile.REGTYPE, data=b"", mode=0o644, uid=0, gid=0, link=""):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.uid, ti.gid, ti.linkname, ti.mtime = typ, mode, uid, gid, link, 1000000
    ti.size = len(data) if typ == tarfile.REGTYPE else 0
    tf.addfile(ti, io.BytesIO(data) if typ == tarfile.REGTYPE else None)


with tarfile.open(os.path.join(d, "files.tar"), "w", format=tarfile.PAX_FORMAT) as tf:
    entry(tf, "data", tarfile.DIRTYPE, mode=0o755)
    entry(tf, "data/owned", data=b"owned\n", mode=0o640, uid=1000, gid=1000)
    entry(tf, "data/hard", tarfile.LNKTYPE, link="data/owned", mode=0o640, uid=1000, gid=1000)
    entry(tf, "data/sym", tarfile.SYMTYPE, link="owned", mode=0o777)
    entry(tf, "data/sgid", tarfile.DIRTYPE, mode=0o2755)
    entry(tf, "data/suid", data=b"#!/bin/sh\n", mode=0o4755)
    entry(tf, "data/by-7", data=b"seven\n", uid=7, gid=7)
    entry(tf, "etc", tarfile.DIRTYPE, mode=0o755)
    entry(tf, "etc/victim", data=b"gone\n")
    entry(tf, "opt", tarfile.DIRTYPE, mode=0o755)
    entry(tf, "opt/old", tarfile.DIRTYPE, mode=0o755)
    entry(tf, "opt/old/file", data=b"old\n")

with tarfile.open(os.path.join(d, "changes.tar"), "w", format=tarfile.PAX_FORMAT) as tf:
    entry(tf, "etc", tarfile.DIRTYPE, mode=0o755)
    entry(tf, "etc/.wh.victim")
    entry(tf, "opt", tarfile.DIRTYPE, mode=0o755)
    entry(tf, "opt/.wh..wh..opq")
    entry(tf, "opt/new", data=b"new\n")
    entry(tf, "data", tarfile.DIRTYPE, mode=0o755)
    entry(tf, "data/arch", data=b"%s\n" % (sys.argv[2] if len(sys.argv) > 2 else "host").encode())

with tarfile.open(os.path.join(d, "empty.tar"), "w", format=tarfile.PAX_FORMAT) as tf:
    pass
