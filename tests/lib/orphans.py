#!/usr/bin/env python3
# orphans.py CMD ARGS...: run CMD with us as its child subreaper, so that
# whatever it leaves behind (a child it did not reap, a process still
# running) comes to us when it exits. Print "orphan PID" for each such
# process (after a moment for the running ones to end) and exit with
# CMD's status, or 99 if there was any.
import ctypes, os, sys, time

PR_SET_CHILD_SUBREAPER = 36
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit("orphans.py: cannot become a subreaper")
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[1], sys.argv[1:])
    finally:
        os._exit(127)
_, st = os.waitpid(pid, 0)
status = os.waitstatus_to_exitcode(st)
found = []
deadline = time.time() + 5
while True:
    try:
        r = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        break
    if r:
        try:
            with open("/proc/%d/comm" % r.si_pid) as f:
                comm = f.read().strip()
        except OSError:
            comm = "?"
        os.waitpid(r.si_pid, 0)
        found.append("%d (%s)" % (r.si_pid, comm))
    elif time.time() > deadline:
        # Still running: it is ours now, and a leak all the same.
        found.append("still running")
        break
    else:
        time.sleep(0.05)
for p in found:
    print("orphan %s" % p)
sys.exit(99 if found else (status if status >= 0 else 128 - status))
