#!/usr/bin/env python3
"""hostile-tar.py KIND OUT TARGETDIR: write a tarball that tries to escape
the layer it is unpacked into, aimed at TARGETDIR (an absolute path that the
test watches). Uncompressed tar. Kinds:

  absolute      /TARGETDIR/abs
  dotdot        ../../(...)/TARGETDIR/dotdot
  inner-dotdot  a/../../(...)/TARGETDIR/inner
  symlink-abs   evil -> TARGETDIR, then evil/pwned
  symlink-rel   evil -> ../../(...)/TARGETDIR, then evil/pwned
  symlink-dir   d/evil -> TARGETDIR, then d/evil/sub/pwned
  hardlink-shadow   shadow hard link to /etc/shadow, then content written to shadow
  hardlink-dotdot   hard link to ../../(...)/etc/shadow
  hardlink-canary   hard link to TARGETDIR/canary, then content written to it
  device        a character device 1,3 (dev/mynull) and a block device
  bare-wh       a bare .wh. entry
  wh-dotdot     .wh.../../(...)/TARGETDIR/victim (a whiteout that climbs)
  empty-name    an entry with an empty name
"""
import io
import sys
import tarfile

kind, out, target = sys.argv[1], sys.argv[2], sys.argv[3].rstrip("/")
up = "../" * 40
rel_target = up + target.lstrip("/")


def add_file(tf, name, data=b"pwned\n", mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = mode
    tf.addfile(ti, io.BytesIO(data))


def add_dir(tf, name):
    ti = tarfile.TarInfo(name)
    ti.type = tarfile.DIRTYPE
    ti.mode = 0o755
    tf.addfile(ti)


def add_link(tf, name, linkname, typ=tarfile.SYMTYPE):
    ti = tarfile.TarInfo(name)
    ti.type = typ
    ti.linkname = linkname
    ti.mode = 0o777
    tf.addfile(ti)


with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as tf:
    # A harmless entry first, so a tool that stops at the first bad entry
    # has already written something that must then be cleaned up.
    add_dir(tf, "etc")
    add_file(tf, "etc/harmless", b"ok\n")
    if kind == "absolute":
        add_file(tf, target + "/abs")
    elif kind == "dotdot":
        add_file(tf, rel_target + "/dotdot")
    elif kind == "inner-dotdot":
        add_dir(tf, "a")
        add_file(tf, "a/" + rel_target + "/inner")
    elif kind == "symlink-abs":
        add_link(tf, "evil", target)
        add_file(tf, "evil/pwned")
    elif kind == "symlink-rel":
        add_link(tf, "evil", rel_target)
        add_file(tf, "evil/pwned")
    elif kind == "symlink-dir":
        add_dir(tf, "d")
        add_link(tf, "d/evil", target)
        add_dir(tf, "d/evil/sub")
        add_file(tf, "d/evil/sub/pwned")
    elif kind == "hardlink-shadow":
        add_link(tf, "shadow", "/etc/shadow", tarfile.LNKTYPE)
        add_file(tf, "shadow", b"root::0:0:99999:7:::\n")
    elif kind == "hardlink-canary":
        add_link(tf, "canary", target + "/canary", tarfile.LNKTYPE)
        add_file(tf, "canary", b"pwned\n")
    elif kind == "hardlink-dotdot":
        add_link(tf, "shadow", up + "etc/shadow", tarfile.LNKTYPE)
    elif kind == "device":
        ti = tarfile.TarInfo("dev/mynull")
        ti.type = tarfile.CHRTYPE
        ti.devmajor, ti.devminor = 1, 3
        ti.mode = 0o666
        add_dir(tf, "dev")
        tf.addfile(ti)
        ti = tarfile.TarInfo("dev/myblk")
        ti.type = tarfile.BLKTYPE
        ti.devmajor, ti.devminor = 7, 0
        ti.mode = 0o660
        tf.addfile(ti)
    elif kind == "bare-wh":
        add_file(tf, "etc/.wh.", b"")
    elif kind == "wh-dotdot":
        add_file(tf, "etc/.wh.../" + rel_target + "/victim", b"")
    elif kind == "empty-name":
        add_file(tf, "", b"x\n")
    else:
        sys.exit("hostile-tar.py: unknown kind " + kind)
