#!/usr/bin/env python3
"""Run a command on a terminal of its own, as a user's shell would, and
tell whether anything was pushed into that terminal's input.

tty-inject.py CMD...: a new pty, raw, is CMD's controlling terminal and its
stdin, stdout and stderr. Prints what CMD wrote, then "STATUS n" and, when
the terminal's input queue holds bytes nobody typed once CMD is done,
"TERMINAL-INPUT <bytes>" (exit 3).
"""
import os, pty, select, sys, tty

master, slave = pty.openpty()
tty.setraw(slave)
pid = os.fork()
if pid == 0:
    os.setsid()
    os.close(master)
    s = os.open(os.ttyname(slave), os.O_RDWR)   # the controlling terminal
    for fd in (0, 1, 2):
        os.dup2(s, fd)
    os.closerange(3, 1024)
    os.execvp(sys.argv[1], sys.argv[1:])

out = b''
status = None
while status is None:
    r, _, _ = select.select([master], [], [], 0.1)
    if r:
        try:
            out += os.read(master, 4096)
        except OSError:
            pass
    p, st = os.waitpid(pid, os.WNOHANG)
    if p:
        status = os.waitstatus_to_exitcode(st)
while True:
    r, _, _ = select.select([master], [], [], 0)
    if not r:
        break
    try:
        d = os.read(master, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
sys.stdout.write(out.decode(errors='replace').replace('\r\n', '\n'))
print('STATUS %d' % status)
os.set_blocking(slave, False)
try:
    left = os.read(slave, 4096)
except BlockingIOError:
    left = b''
if left:
    print('TERMINAL-INPUT %r' % left)
    sys.exit(3)
