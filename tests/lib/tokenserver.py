#!/usr/bin/env python3
"""tokenserver.py PORTFILE LOG KEY CERT ISSUER [USER:PASS] [refresh=TOKEN]: a token service
for docker-registry's own "token" auth, for tk-pull's tests. Listens on a
free loopback port (written to PORTFILE); GET /token?service=S&scope=...
answers {"token": JWT}, a JWT signed RS256 with KEY (openssl does the
signing) whose x5c header carries CERT, which the registry trusts as its
rootcertbundle. Every scope asked for is granted (pull and push), to
anyone, or only to USER:PASS (Basic) when given. With refresh=TOKEN, also
to an OAuth2 POST /token with grant_type=refresh_token and that
refresh_token (an identity token, as Docker sends it), and never to an
anonymous GET; a wrong grant gets 400 invalid_grant. Logs "GET /token AUTH SCOPE" or "POST /token GRANT
SCOPE" per request to LOG. Stops after 20 minutes, or when killed.
"""
import base64
import http.server
import json
import os
import secrets
import socketserver
import subprocess
import sys
import threading
import time
import urllib.parse

portfile, logfile, key, cert, issuer = sys.argv[1:6]
user = refresh = None
for a in sys.argv[6:]:
    if a.startswith("refresh="):
        refresh = a[len("refresh="):]
    else:
        user = a
der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True,
                     stdout=subprocess.PIPE).stdout
log = open(logfile, "a", buffering=1)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def token(service, scopes):
    access = []
    for s in scopes:
        parts = s.split(":")
        if len(parts) == 3 and parts[0] == "repository":
            access.append({"type": "repository", "name": parts[1],
                           "actions": [a for a in parts[2].split(",") if a in ("pull", "push")]})
    now = int(time.time())
    header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
    claims = {"iss": issuer, "sub": "tk-test", "aud": service, "exp": now + 300,
              "nbf": now - 10, "iat": now, "jti": secrets.token_hex(8), "access": access}
    signing = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing.encode(),
                         check=True, stdout=subprocess.PIPE).stdout
    return signing + "." + b64url(sig)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        auth = self.headers.get("Authorization", "")
        log.write("GET %s %s %s\n" % (u.path, auth.split(" ")[0] or "-",
                                      ",".join(q.get("scope", [])) or "-"))
        if u.path != "/token":
            return self.reply(404, b"{}")
        if refresh is not None and user is None:
            return self.reply(401, b'{"details":"identity token required"}')
        if user is not None and auth != "Basic " + base64.b64encode(user.encode()).decode():
            return self.reply(401, b'{"details":"bad credentials"}')
        t = token(q.get("service", [""])[0], q.get("scope", []))
        self.reply(200, json.dumps({"token": t, "access_token": t, "expires_in": 300}).encode())


    def do_POST(self):
        u = urllib.parse.urlparse(self.path)
        n = int(self.headers.get("Content-Length", "0"))
        q = urllib.parse.parse_qs(self.rfile.read(n).decode())
        log.write("POST %s %s %s\n" % (u.path, ",".join(q.get("grant_type", [])) or "-",
                                       ",".join(q.get("scope", [])) or "-"))
        if u.path != "/token":
            return self.reply(404, b"{}")
        if (refresh is None or q.get("grant_type") != ["refresh_token"] or
                q.get("refresh_token") != [refresh] or not q.get("client_id")):
            return self.reply(400, b'{"error":"invalid_grant"}')
        t = token(q.get("service", [""])[0], " ".join(q.get("scope", [])).split())
        self.reply(200, json.dumps({"access_token": t, "expires_in": 300}).encode())


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


s = Server(("127.0.0.1", 0), Handler)
threading.Thread(target=s.serve_forever, daemon=True).start()
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % s.server_address[1])
os.rename(portfile + ".tmp", portfile)
threading.Event().wait(1200)
