#!/usr/bin/env python3
"""Drive a command under a real pty, as a user at a terminal would.

pty-drive.py SCRIPT CMD...: runs CMD in a new pty of size 30x100, then
for each line of the file SCRIPT:
    send TEXT      type TEXT and Enter (\\r)
    ctrl C         type ^C (any letter)
    wait TEXT      wait (up to 20 s) until TEXT appears in the output, after
                   what the previous wait matched
    resize R C     set the pty size and send SIGWINCH to CMD
Prints everything CMD wrote, then "STATUS n" (CMD's exit status). Exits 1
when a wait times out.
"""
import fcntl, os, pty, select, signal, struct, sys, termios, time

script, cmd = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 30, 100, 0, 0))
    os.execvp(cmd[0], cmd)

out = b''
def pump(timeout):
    global out
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        return True
    try:
        d = os.read(fd, 4096)
    except OSError:
        return False
    out += d
    return bool(d)

mark = 0
def wait_for(text, limit=20):
    global mark
    end = time.time() + limit
    while True:
        i = out.find(text.encode(), mark)
        if i >= 0:
            mark = i + len(text)
            return True
        if time.time() >= end or not pump(0.1):
            return False

ok = True
for line in open(script).read().splitlines():
    verb, _, arg = line.partition(' ')
    if verb == 'send':
        os.write(fd, arg.encode() + b'\r')
    elif verb == 'ctrl':
        os.write(fd, bytes([ord(arg.upper()) - 64]))
    elif verb == 'wait':
        if not wait_for(arg):
            sys.stderr.write('pty-drive: timed out waiting for %r\n' % arg)
            ok = False
            break
    elif verb == 'resize':
        r, c = arg.split()
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', int(r), int(c), 0, 0))
        os.kill(pid, signal.SIGWINCH)
if not ok:
    os.kill(pid, signal.SIGKILL)
# The rest of the output, until CMD has ended and closed the pty.
st = None
end = time.time() + 20
while st is None and time.time() < end:
    more = pump(0.2)
    if not more:
        w, status = os.waitpid(pid, os.WNOHANG)
        if w:
            st = status
if st is None:
    os.kill(pid, signal.SIGKILL)
    _, st = os.waitpid(pid, 0)
    ok = False
sys.stdout.write(out.decode(errors='replace'))
print('\nSTATUS %d' % os.waitstatus_to_exitcode(st))
sys.exit(0 if ok else 1)
