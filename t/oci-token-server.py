#!/usr/bin/python3
"""t/oci-token-server.py — a registry token server for t/2211-oci-bearer.t.

Python's standard library only (the signature is openssl's).  The token
protocol of distribution (docker-registry with `auth: token`): a client
the registry answered 401 with

    WWW-Authenticate: Bearer realm="https://HOST:PORT/token",
        service="SERVICE",scope="repository:NAME:pull"

asks GET /token?service=SERVICE&scope=repository:NAME:pull (scope= may
be repeated, or absent), anonymously or with "Authorization: Basic", and
gets {"token": JWT, "access_token": JWT, "expires_in": 300,
"issued_at": ...}.  The JWT is RS256 (`openssl dgst -sha256 -sign`,
PKCS#1 v1.5): header {"typ":"JWT","alg":"RS256","x5c":[the signing
certificate, DER in base64]} — the registry checks that certificate
against its rootcertbundle and the signature with its key; claims iss
(--issuer), sub (the user, "" anonymous), aud (the service), exp, nbf,
iat, jti and access [{"type":"repository","name":NAME,"actions":[...]}].

Who gets what:
  --user USER:PASS   these Basic credentials get every action asked of
                     "pull" and "push", on every repository
  other credentials  401 (a wrong password is refused, never treated as
                     anonymous), with a JSON error body
  no credentials     "pull" on a --public NAME; on a --anon-empty NAME a
                     token granting nothing (what Docker Hub does: the
                     registry then says 401 insufficient_scope); any
                     other repository: 401
  a service other than --service, or a scope that is not
  repository:NAME:ACTIONS: 400

A token whose scopes name a --wrong-audience NAME is issued for another
audience ("aud": "not-SERVICE"): well signed, refused by the registry.

Binds 127.0.0.1:--port (0: any); writes the port to --port-file once it
listens (renamed into place).  Appends one line per request to --log:

    GET /token?QUERY auth=basic:USER|basic-refused|anonymous|other -> CODE [GRANTED]

with GRANTED as NAME:ACTIONS[;...] ("-" for none); never a password or a
token.  Each token issued is appended to --tokens (one a line), so a test
can look for it where it must not be.
"""
import argparse
import base64
import binascii
import datetime
import http.server
import json
import os
import socketserver
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

args = None
lock = threading.Lock()


def append(path, line):
    if not path:
        return
    with lock:
        with open(path, "a") as f:
            f.write(line + "\n")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cert_der_b64(path):
    """The first certificate of a PEM file, DER in standard base64."""
    with open(path) as f:
        pem = f.read()
    begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
    body = pem[pem.index(begin) + len(begin):pem.index(end)]
    der = base64.b64decode("".join(body.split()))
    return base64.b64encode(der).decode()


def sign(data):
    """RS256: PKCS#1 v1.5 over SHA-256, by openssl."""
    p = subprocess.run(["openssl", "dgst", "-sha256", "-sign", args.sign_key],
                       input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, check=True)
    return p.stdout


def jwt(subject, access, audience):
    now = int(time.time())
    header = {"typ": "JWT", "alg": "RS256", "x5c": [args.x5c]}
    claims = {
        "iss": args.issuer,
        "sub": subject,
        "aud": audience,
        "exp": now + 300,
        "nbf": now - 10,
        "iat": now,
        "jti": binascii.hexlify(os.urandom(16)).decode(),
        "access": access,
    }
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode())
                     + "." +
                     b64url(json.dumps(claims, separators=(",", ":")).encode()))
    return signing_input + "." + b64url(sign(signing_input.encode()))


class Refused(Exception):
    def __init__(self, code, what):
        Exception.__init__(self, what)
        self.code = code
        self.what = what


def who(header):
    """("basic:USER", USER), ("anonymous", None); Refused otherwise."""
    if header is None:
        return "anonymous", None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise Refused(401, "other")
    try:
        plain = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise Refused(401, "basic-refused")
    if plain not in args.user:
        raise Refused(401, "basic-refused")
    user = plain.split(":", 1)[0]
    return "basic:" + user, user


def grant(user, scopes):
    """The access claim for these scopes; Refused when it cannot be given."""
    access = []
    for s in scopes:
        parts = s.split(":")
        if len(parts) < 3 or parts[0] != "repository" or not parts[1]:
            raise Refused(400, "a scope that is not repository:NAME:ACTIONS")
        name = ":".join(parts[1:-1])
        asked = [a for a in parts[-1].split(",") if a]
        if user is not None:
            actions = [a for a in asked if a in ("pull", "push")]
        elif name in args.public:
            actions = [a for a in asked if a == "pull"]
        elif name in args.anon_empty:
            actions = []
        else:
            raise Refused(401, "anonymous")
        if actions:
            access.append({"type": "repository", "name": name,
                           "actions": actions})
    return access


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def answer(self, code, body, extra=()):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.close_connection = True
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        line = "GET %s" % self.path
        auth = "anonymous"
        try:
            if url.path != "/token":
                raise Refused(404, "no such path")
            auth, user = who(self.headers.get("Authorization"))
            if q.get("service") != [args.service]:
                raise Refused(400, "service is not %s" % args.service)
            access = grant(user, q.get("scope", []))
        except Refused as e:
            if e.code == 401:
                auth = e.what
                self.answer(401, {"errors": [{
                    "code": "UNAUTHORIZED",
                    "message": "authentication required"}]},
                    [("WWW-Authenticate", 'Basic realm="banger-token"')])
            else:
                self.answer(e.code, {"errors": [{
                    "code": "DENIED", "message": e.what}]})
            append(args.log, "%s auth=%s -> %d" % (line, auth, e.code))
            return
        audience = args.service
        if any(s.split(":")[1] in args.wrong_audience
               for s in q.get("scope", [])):
            audience = "not-" + args.service
        token = jwt(user or "", access, audience)
        append(args.tokens, token)
        now = datetime.datetime.now(datetime.timezone.utc)
        self.answer(200, {"token": token, "access_token": token,
                          "expires_in": 300,
                          "issued_at": now.strftime("%Y-%m-%dT%H:%M:%SZ")})
        granted = ";".join("%s:%s" % (a["name"], ",".join(a["actions"]))
                           for a in access) or "-"
        append(args.log, "%s auth=%s -> 200 %s" % (line, auth, granted))


class TLSServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def finish_request(self, request, client_address):
        try:
            conn = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        except (ssl.SSLError, OSError):
            pass

    def handle_error(self, request, client_address):
        pass


def main():
    global args
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True, help="TLS certificate (PEM)")
    ap.add_argument("--key", required=True, help="TLS key (PEM)")
    ap.add_argument("--sign-key", required=True, help="RSA key (PEM)")
    ap.add_argument("--sign-cert", required=True,
                    help="its certificate, sent as x5c")
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--user", action="append", default=[],
                    help="USER:PASS, repeatable")
    ap.add_argument("--public", action="append", default=[])
    ap.add_argument("--anon-empty", action="append", default=[])
    ap.add_argument("--wrong-audience", action="append", default=[])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", default="")
    ap.add_argument("--tokens", default="")
    args = ap.parse_args()
    args.x5c = cert_der_b64(args.sign_cert)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    srv = TLSServer(("127.0.0.1", args.port), Handler)
    srv.ctx = ctx
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
