"""An upload receiver on Python's http.server, for the http plugin's tests.

Accepts PUT and POST /up/<name> (the body with Content-Length or chunked), answers HEAD and GET from what it
holds, and stores each object as a file under --dir at its percent-decoded name, made visible by a rename once the
whole body has arrived. Prints "listening on <port>" on standard output once it accepts connections.

Connection behaviours, as real servers show them:
  --protocol HTTP/1.0  (http.server's default) answers HTTP/1.0 and closes the connection after each response,
                       without a Connection header
  --protocol HTTP/1.1  keeps connections open between requests
  --close              with HTTP/1.1: closes the connection after each response without saying so
  --announce-close     with HTTP/1.1: sends Connection: close and closes after each response
  --idle-timeout S     with HTTP/1.1: closes a connection that stays idle for S seconds (a keep-alive timeout)

--keep-version records the X-Ingest-Version request header with each object and sends it back in HEAD and GET
answers, as the plugin's README asks of a receiver that lets ingest verify versions.
"""
import argparse
import http.server
import os
import sys
import tempfile
import threading
import urllib.parse

PREFIX = "/up/"


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--dir", required=True)
    p.add_argument("--protocol", default="HTTP/1.0", choices=["HTTP/1.0", "HTTP/1.1"])
    p.add_argument("--close", action="store_true")
    p.add_argument("--announce-close", action="store_true")
    p.add_argument("--idle-timeout", type=float, default=None)
    p.add_argument("--keep-version", action="store_true")
    return p.parse_args()


ARGS = parse_args()
ROOT = os.path.realpath(ARGS.dir)
VERSIONS = {}
LOCK = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = ARGS.protocol
    timeout = ARGS.idle_timeout

    def log_message(self, fmt, *args):
        sys.stderr.write("receiver: " + (fmt % args) + "\n")

    def path_of(self):
        raw = urllib.parse.urlsplit(self.path).path
        if not raw.startswith(PREFIX):
            return None
        segments = [urllib.parse.unquote(s) for s in raw[len(PREFIX):].split("/")]
        if any(s in ("", ".", "..") for s in segments):
            return None
        path = os.path.realpath(os.path.join(ROOT, *segments))
        return path if path.startswith(ROOT + os.sep) else None

    def finish_response(self, code, body=b"", headers=()):
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        if ARGS.announce_close:
            self.send_header("Connection", "close")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)
        if ARGS.close or ARGS.announce_close:
            self.close_connection = True

    def read_body(self, out):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return
                out.write(self.rfile.read(size))
                self.rfile.readline()
        remaining = int(self.headers.get("Content-Length", "0"))
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 65536))
            if not chunk:
                raise IOError("the body ended early")
            out.write(chunk)
            remaining -= len(chunk)

    def do_PUT(self):
        path = self.path_of()
        if path is None:
            self.finish_response(400)
            return
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=ROOT, prefix=".upload-")
        with os.fdopen(fd, "wb") as out:
            self.read_body(out)
        with LOCK:
            created = not os.path.exists(path)
            os.replace(tmp, path)
            VERSIONS[path] = self.headers.get("X-Ingest-Version")
        self.finish_response(201 if created else 204)

    do_POST = do_PUT

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path = self.path_of()
        if path is None or not os.path.isfile(path):
            self.finish_response(404, b"not found\n")
            return
        with open(path, "rb") as f:
            body = f.read()
        headers = [("Content-Type", "application/octet-stream")]
        version = VERSIONS.get(path)
        if ARGS.keep_version and version:
            headers.append(("X-Ingest-Version", version))
        self.finish_response(200, body, headers)


server = http.server.ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
server.daemon_threads = True
print("listening on %d" % server.server_address[1], flush=True)
server.serve_forever()
