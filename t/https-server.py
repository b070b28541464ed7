#!/usr/bin/python3
"""t/https-server.py — the HTTPS server (and CONNECT proxy) of t/0050-https.t.

Python's standard library only.  Serves the files of --dir over HTTPS
with --cert/--key, "Range: bytes=N-" as 206 + Content-Range.  Binds
127.0.0.1, port 0 unless --port; writes the port to --port-file once it
listens (renamed into place); appends "PATH|RANGE" per request to --log.

Misbehaviour by path:
  /cut/NAME          NAME, but the first request for it (a marker file in
                     --dir) closes after half the body
  /chunked/NAME      chunked (varied chunk sizes, an extension, a trailer)
  /truncchunk/NAME   chunked, closed before the last chunk
  /close/NAME        neither length nor chunked; TLS close_notify at the end
  /closenotls/NAME   the same, closed without close_notify
  /redirect/NAME     302 to /NAME
  /redirect-rel/NAME 302 to ../NAME (relative)
  /redirect-abs/NAME 302 to https://localhost:PORT/NAME
  /redirect-http/NAME 302 to http://localhost:PORT/NAME
  /loop              302 to /loop
  /bighdr            200 with a 100 KiB header line
  /manyhdr           200 with 150 headers
  /status/NNN        that status
  /badrange/NAME     206 with a Content-Range starting at 0 whatever asked
  /slow/NAME         headers, then nothing for 60 s
  /echo              200, the body: the request's Accept and
                     Authorization lines ("Accept: ...\nAuthorization: ...")
  /auth401           401 with two WWW-Authenticate lines, Content-Type
                     and a JSON body; 200 "welcome" with
                     "Authorization: Bearer good"
  /redirect-port/PORT/NAME 302 to https://localhost:PORT/NAME
  /typed             200 with Content-Type and Docker-Content-Digest

--proxy: a CONNECT proxy instead (plain TCP): logs the request line and
any Proxy-Authorization to --log, answers 200 and tunnels; with
--proxy-auth USER:PASS, a request without them gets 407.

--blackhole: listens with a full backlog that is never accepted, so a
connect() to it waits (the connect timeout's test).
"""
import argparse
import base64
import http.server
import os
import socket
import socketserver
import ssl
import sys
import threading
import time

args = None
log_lock = threading.Lock()


def log(line):
    with log_lock:
        with open(args.log, "a") as f:
            f.write(line + "\n")


def write_port(port):
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, args.port_file)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def file(self, name):
        path = os.path.join(args.dir, os.path.basename(name))
        try:
            with open(path, "rb") as f:
                return f.read()
        except OSError:
            return None

    def ranged(self, data):
        """(status, start) for the Range header."""
        r = self.headers.get("Range")
        if r and r.startswith("bytes=") and r.endswith("-"):
            return 206, int(r[6:-1])
        return 200, 0

    def head(self, status, data, start, length=True, extra=()):
        self.send_response(status)
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" %
                             (start, len(data) - 1, len(data)))
        if length:
            self.send_header("Content-Length", str(len(data) - start))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()

    def serve(self, data):
        status, start = self.ranged(data)
        if start >= len(data) and status == 206:
            return self.simple(416, "Range Not Satisfiable")
        self.head(status, data, start)
        self.wfile.write(data[start:])

    def simple(self, code, reason=None, extra=(), body=b"status\n"):
        self.send_response(code, reason)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def chunked(self, data, last):
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sizes = [1, 1000, 65536, 7, 300000]
        i = n = 0
        while i < len(data):
            k = sizes[n % len(sizes)]
            n += 1
            piece = data[i:i + k]
            i += len(piece)
            ext = ";name=value" if n == 2 else ""
            self.wfile.write(b"%x%s\r\n" % (len(piece), ext.encode()))
            self.wfile.write(piece + b"\r\n")
        if last:
            self.wfile.write(b"0\r\nX-Trailer: yes\r\n\r\n")
        self.wfile.flush()

    def cut(self):
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True

    def do_GET(self):
        p = self.path
        log("%s|%s" % (p, self.headers.get("Range", "")))
        self.close_connection = True
        port = self.server.server_address[1]
        parts = p.split("/", 2)
        kind = parts[1] if len(parts) > 2 else ""
        name = parts[2] if len(parts) > 2 else ""
        if p == "/loop":
            return self.simple(302, extra=[("Location", "/loop")])
        if p == "/bighdr":
            return self.simple(200, extra=[("X-Big", "a" * 102400)])
        if p == "/manyhdr":
            return self.simple(200, extra=[("X-H%d" % i, "v")
                                           for i in range(150)])
        if p == "/echo":
            return self.simple(200, body=(
                "Accept: %s\nAuthorization: %s\n" % (
                    self.headers.get("Accept", "-"),
                    self.headers.get("Authorization", "-"))).encode())
        if p == "/auth401":
            if self.headers.get("Authorization") == "Bearer good":
                return self.simple(200, body=b"welcome\n")
            return self.simple(401, body=b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                               extra=[("WWW-Authenticate",
                                       'Bearer realm="https://localhost/t"'),
                                      ("WWW-Authenticate",
                                       'Basic realm="r"'),
                                      ("Content-Type", "application/json")])
        if p == "/typed":
            return self.simple(200, body=b"{}", extra=[
                ("Content-Type", "application/vnd.oci.image.index.v1+json"),
                ("Docker-Content-Digest", "sha256:" + "ab" * 32)])
        if kind == "redirect-port":
            port2, _, rest = name.partition("/")
            return self.simple(302, extra=[
                ("Location", "https://localhost:%s/%s" % (port2, rest))])
        if kind == "status":
            return self.simple(int(name))
        if kind == "redirect":
            return self.simple(302, extra=[("Location", "/" + name)])
        if kind == "redirect-rel":
            return self.simple(301, extra=[("Location", "../" + name)])
        if kind == "redirect-abs":
            return self.simple(307, extra=[
                ("Location", "https://localhost:%d/%s" % (port, name))])
        if kind == "redirect-http":
            return self.simple(302, extra=[
                ("Location", "http://localhost:%d/%s" % (port, name))])
        data = self.file(name if kind else p[1:])
        if data is None:
            return self.simple(404, "Not Found")
        if kind == "cut":
            marker = os.path.join(args.dir, ".cut-" + name)
            if os.path.exists(marker):
                return self.serve(data)
            open(marker, "w").close()
            status, start = self.ranged(data)
            self.head(status, data, start)
            half = start + (len(data) - start) // 2
            self.wfile.write(data[start:half])
            return self.cut()
        if kind == "chunked":
            return self.chunked(data, True)
        if kind == "truncchunk":
            self.chunked(data, False)
            return self.cut()
        if kind in ("close", "closenotls"):
            self.head(200, data, 0, length=False)
            self.wfile.write(data)
            self.wfile.flush()
            if kind == "close":
                self.connection.unwrap()
            return self.cut()
        if kind == "badrange":
            self.head(206, data, 0)
            self.wfile.write(data)
            return
        if kind == "slow":
            self.head(200, data, 0)
            self.wfile.flush()
            time.sleep(60)
            return self.cut()
        return self.serve(data)


class TLSServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def finish_request(self, request, client_address):
        # The handshake in the request's thread: a client that fails it
        # (the certificate tests) leaves the others alone.
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


def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def readhead(c):
    data = b""
    while b"\r\n\r\n" not in data:
        d = c.recv(1)
        if not d or len(data) > 65536:
            return None
        data += d
    return data.decode("latin-1").split("\r\n")


def proxy_conn(c):
    lines = readhead(c)
    if not lines:
        c.close()
        return
    log(lines[0])
    auth = [l for l in lines[1:] if l.lower().startswith("proxy-authorization:")]
    for l in auth:
        log(l)
    if args.proxy_auth:
        want = "Basic " + base64.b64encode(args.proxy_auth.encode()).decode()
        if not auth or auth[0].split(":", 1)[1].strip() != want:
            c.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                      b"Content-Length: 0\r\n\r\n")
            c.close()
            return
    method, target, _ = lines[0].split(" ", 2)
    host, port = target.rsplit(":", 1)
    try:
        up = socket.create_connection((host, int(port)), timeout=10)
        up.settimeout(None)
    except OSError:
        c.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        c.close()
        return
    c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    threading.Thread(target=pipe, args=(up, c), daemon=True).start()
    pipe(c, up)


def proxy():
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", args.port))
    ls.listen(16)
    write_port(ls.getsockname()[1])
    while True:
        c, _ = ls.accept()
        threading.Thread(target=proxy_conn, args=(c,), daemon=True).start()


def blackhole():
    ls = socket.socket()
    ls.bind(("127.0.0.1", args.port))
    ls.listen(0)
    port = ls.getsockname()[1]
    # Fill the accept queue; Linux then drops further SYNs.
    held = []
    for _ in range(4):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        held.append(s)
    time.sleep(0.2)
    write_port(port)
    while True:
        time.sleep(3600)


def main():
    global args
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", default="/dev/null")
    ap.add_argument("--proxy", action="store_true")
    ap.add_argument("--proxy-auth")
    ap.add_argument("--blackhole", action="store_true")
    args = ap.parse_args()
    if args.proxy:
        return proxy()
    if args.blackhole:
        return blackhole()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    srv = TLSServer(("127.0.0.1", args.port), Handler)
    srv.ctx = ctx
    write_port(srv.server_address[1])
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
