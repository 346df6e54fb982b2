#!/usr/bin/env python3
"""ptrace-probe.py PID [--must-probe]: as the caller, try to read or
control process PID (a tk-helper, or a tk-run whose memory a container's
first process shared) with ptrace(PTRACE_ATTACH),
/proc/PID/mem and process_vm_readv. Every attempt must fail with EPERM or
EACCES (attack 26). Exit 0 and print "probed PID" when all were refused,
"gone PID" when the process went away first (an error with
--must-probe); exit 1, saying what worked, otherwise.

A process may have executed the payload, which is the caller's own:
an attempt that works is a hole only if what it reached was still tk's,
so the mappings it could see must name its binary (else "execed PID":
the payload was reached, which is allowed)."""
import ctypes
import errno
import os
import sys

pid = int(sys.argv[1])
must = "--must-probe" in sys.argv
libc = ctypes.CDLL(None, use_errno=True)
PTRACE_ATTACH, PTRACE_DETACH = 16, 17


def gone():
    print("gone %d" % pid)
    sys.exit(1 if must else 0)


class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


try:
    with open("/proc/%d/stat" % pid) as f:
        stat = f.read()
except (FileNotFoundError, ProcessLookupError):
    gone()
name = next((n for n in ("tk-helper", "tk-run") if "(%s)" % n in stat), None)
if not name:
    print("skip %d: not the helper or the runner" % pid)
    sys.exit(0)



def reached_helper(maps=None):
    """After an attempt worked: was that still the helper's memory?"""
    if maps is None:
        try:
            with open("/proc/%d/maps" % pid) as f:
                maps = f.read()
        except (FileNotFoundError, ProcessLookupError):
            gone()
        except PermissionError:
            return True   # protected again: it was the helper
    if "/" + name in maps:
        return True
    print("execed %d: the payload, not the helper, was reached" % pid)
    sys.exit(1 if must else 0)


bad = []
try:
    with open("/proc/%d/maps" % pid) as f:
        if reached_helper(f.read()):
            bad.append("read /proc/PID/maps")
except (FileNotFoundError, ProcessLookupError):
    gone()
except PermissionError:
    pass
if libc.ptrace(PTRACE_ATTACH, pid, None, None) == 0:
    helper = reached_helper()
    libc.ptrace(PTRACE_DETACH, pid, None, None)
    if helper:
        bad.append("ptrace attach")
else:
    e = ctypes.get_errno()
    if e == errno.ESRCH:
        gone()
    if e != errno.EPERM:
        bad.append("ptrace attach: %s" % os.strerror(e))
try:
    os.close(os.open("/proc/%d/mem" % pid, os.O_RDONLY))
    if reached_helper():
        bad.append("open /proc/PID/mem")
except FileNotFoundError:
    gone()
except PermissionError:
    pass
buf = ctypes.create_string_buffer(16)
local = iovec(ctypes.cast(buf, ctypes.c_void_p), 16)
remote = iovec(0x1000, 16)
n = libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
e = ctypes.get_errno()
if (n >= 0 or e not in (errno.EPERM, errno.EACCES, errno.ESRCH)) and reached_helper():
    bad.append("process_vm_readv: %s" % (n if n >= 0 else os.strerror(e)))
if bad:
    print("helper %d reachable: %s" % (pid, ", ".join(bad)))
    sys.exit(1)
print("probed %d" % pid)
