#!/usr/bin/env python3
"""regproxy.py PORTFILE LOG UPSTREAM_PORT [options]: an HTTP proxy in front
of a registry on 127.0.0.1:UPSTREAM_PORT, for tk-pull's tests. It listens
on a free loopback port (written to PORTFILE) and logs one line per request
to LOG: "METHOD PATH AUTHSCHEME RANGE" ("-" for none).

  --token USER:PASS   Bearer auth of its own: /v2/ answers 401 with a
                      challenge whose realm is this proxy's /token; /token
                      gives a random token for anonymous callers, or only
                      for USER:PASS (Basic) when given as other than "-".
  --redirect          blob GETs answer 307 to a second "storage" port
                      that serves the blob and refuses (400) any request
                      that carries an Authorization header.
  --drop-once BYTES   the first GET of each blob sends BYTES bytes of it,
                      then closes the connection.
  --stall-once BYTES  the first GET of each blob sends BYTES bytes, then
                      hangs (until the proxy is killed).
  --drop-each BYTES   every GET of a blob sends at most BYTES bytes of it,
                      then closes the connection.
  --no-range          ignore Range headers (answer 200 with the whole blob).

Stops after 20 minutes, or when killed.
"""
import http.client
import http.server
import base64
import os
import secrets
import socketserver
import sys
import threading

portfile, logfile, upstream = sys.argv[1], sys.argv[2], int(sys.argv[3])
opts = sys.argv[4:]
token_user = None
redirect = no_range = False
drop_once = stall_once = drop_each = None
while opts:
    o = opts.pop(0)
    if o == "--token":
        token_user = opts.pop(0)
    elif o == "--redirect":
        redirect = True
    elif o == "--drop-once":
        drop_once = int(opts.pop(0))
    elif o == "--stall-once":
        stall_once = int(opts.pop(0))
    elif o == "--drop-each":
        drop_each = int(opts.pop(0))
    elif o == "--no-range":
        no_range = True
    else:
        sys.exit("regproxy: bad option " + o)

tokens = set()
dropped = set()
lock = threading.Lock()
log = open(logfile, "a", buffering=1)
storage_port = None
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
       "proxy-authorization", "proxy-authenticate"}


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    storage = False

    def log_message(self, *a):
        pass

    def note(self):
        auth = self.headers.get("Authorization", "")
        with lock:
            log.write("%s%s %s %s %s\n" % ("storage " if self.storage else "", self.command,
                                           self.path, auth.split(" ")[0] or "-",
                                           self.headers.get("Range", "-")))

    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        self.note()
        if self.storage:
            return self.serve_storage()
        if self.path.startswith("/token"):
            return self.serve_token()
        if token_user is not None:
            auth = self.headers.get("Authorization", "")
            if not (auth.startswith("Bearer ") and auth[7:] in tokens):
                host = self.headers.get("Host")
                ch = 'Bearer realm="http://%s/token",service="tk-test"' % host
                return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                                  [("WWW-Authenticate", ch),
                                   ("Content-Type", "application/json")])
        if redirect and "/blobs/sha256:" in self.path and self.command == "GET":
            loc = "http://127.0.0.1:%d%s" % (storage_port, self.path)
            return self.reply(307, b"", [("Location", loc)])
        self.forward()

    def serve_token(self):
        if token_user not in (None, "-"):
            want = "Basic " + base64.b64encode(token_user.encode()).decode()
            if self.headers.get("Authorization", "") != want:
                return self.reply(401, b'{"details":"bad credentials"}',
                                  [("Content-Type", "application/json")])
        t = secrets.token_hex(16)
        with lock:
            tokens.add(t)
        body = ('{"token":"%s","expires_in":300}' % t).encode()
        self.reply(200, body, [("Content-Type", "application/json")])

    def serve_storage(self):
        if self.headers.get("Authorization"):
            return self.reply(400, b"storage: credentials must not be sent here")
        self.forward()

    def forward(self):
        c = http.client.HTTPConnection("127.0.0.1", upstream, timeout=60)
        c.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in self.headers.items():
            if k.lower() in HOP or k.lower() == "authorization" or \
                    (no_range and k.lower() == "range"):
                continue
            c.putheader(k, v)
        c.endheaders()
        r = c.getresponse()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.end_headers()
        limit = None
        stall = False
        key = self.path
        once = drop_once if drop_once is not None else stall_once
        if once is not None and "/blobs/sha256:" in self.path and r.status in (200, 206):
            with lock:
                if key not in dropped:
                    dropped.add(key)
                    limit = once
                    stall = stall_once is not None
        if drop_each is not None and "/blobs/sha256:" in self.path and r.status in (200, 206):
            limit = drop_each
        sent = 0
        while self.command != "HEAD":
            chunk = r.read(65536)
            if not chunk:
                break
            if limit is not None and sent + len(chunk) > limit:
                self.wfile.write(chunk[:limit - sent])
                self.wfile.flush()
                if stall:
                    threading.Event().wait(1200)
                self.close_connection = True
                self.connection.shutdown(2)
                break
            self.wfile.write(chunk)
            sent += len(chunk)
        c.close()


class StorageHandler(Handler):
    storage = True


def serve(handler):
    s = Server(("127.0.0.1", 0), handler)
    threading.Thread(target=s.serve_forever, daemon=True).start()
    return s


st = serve(StorageHandler)
storage_port = st.server_address[1]
main = serve(Handler)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % main.server_address[1])
os.rename(portfile + ".tmp", portfile)
threading.Event().wait(1200)
