#!/usr/bin/env python3
# sock3.py [--send TEXT] CMD ARGS...: run CMD with one end of a unix
# socketpair as its fd 3 (tk-helper start's reaper socket); with --send,
# TEXT (backslash escapes decoded) written on our end first and then EOF
# ("ID PID\n" for `start ... -`). Once CMD exits, shut our end and print
# what comes back (the reaper's answer, if any) on stdout, then exit with
# CMD's status.
import fcntl, os, socket, subprocess, sys

args = sys.argv[1:]
send = None
if args[:1] == ["--send"]:
    send, args = args[1].encode().decode("unicode_escape").encode(), args[2:]
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
# Both above fd 3, which theirs then takes.
ours = socket.socket(fileno=fcntl.fcntl(a.fileno(), fcntl.F_DUPFD_CLOEXEC, 10))
theirs = socket.socket(fileno=fcntl.fcntl(b.fileno(), fcntl.F_DUPFD_CLOEXEC, 10))
a.close()
b.close()
if send is not None:
    ours.sendall(send)
    ours.shutdown(socket.SHUT_WR)
os.dup2(theirs.fileno(), 3, inheritable=True)
theirs.close()
p = subprocess.Popen(args, pass_fds=(3,))
os.close(3)
st = p.wait()
if send is None:
    ours.shutdown(socket.SHUT_WR)
reply = ours.recv(16)
if reply:
    sys.stdout.write(reply.decode(errors="replace") + "\n")
sys.exit(st if st >= 0 else 128 - st)
