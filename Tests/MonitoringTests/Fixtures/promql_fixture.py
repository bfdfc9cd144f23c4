#!/usr/bin/env python3
"""The HTTP servers of the Prometheus gate's tests (python3 stdlib only).

Binds 127.0.0.1 on a free port and prints that port as the first line of stdout. Each request
is appended to --log (when given) as one JSON line: {"method", "path", "headers", "body"}, headers
with lower-case names, written when the request arrives, before any answer.

Modes:
  exporter  serves /metrics in the Prometheus text format: every sample set so far, as gauges.
            GET /set?name=NAME&labels=a%3D"b"&value=V sets a sample (labels as written inside
            {}; value any float Python reads, so NaN and +Inf too); /clear drops them all.
  canned    answers every request with --status and the bytes of --body-file (re-read each
            time), with --content-type; --no-length leaves Content-Length out and closes.
  silent    reads the request and never answers (until killed).
  endless   answers 200 with a body that never ends (chunks of '[' forever).

Options:
  --stdin-lifeline  exit when stdin reaches end of file: a test that holds the other end of a
                    pipe cannot leave the server running, even if the test process dies.
  --tls-cert FILE   serve https with this PEM certificate (and --tls-key FILE, its key).

It unblocks every signal first (a test runner's thread may have blocked them), so SIGTERM ends it.
"""
import argparse
import json
import os
import signal
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["exporter", "canned", "silent", "endless"])
    parser.add_argument("--log")
    parser.add_argument("--status", type=int, default=200)
    parser.add_argument("--body-file")
    parser.add_argument("--content-type", default="application/json")
    parser.add_argument("--no-length", action="store_true")
    parser.add_argument("--stdin-lifeline", action="store_true")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    options = parser.parse_args()
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if options.stdin_lifeline:
        def lifeline():
            while sys.stdin.buffer.read(4096):
                pass
            os._exit(0)
        threading.Thread(target=lifeline, daemon=True).start()
    lock = threading.Lock()
    samples = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def record(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if options.log:
                entry = {"method": self.command, "path": self.path,
                         "headers": {name.lower(): value for name, value in self.headers.items()},
                         "body": body.decode("utf-8", "replace")}
                with lock, open(options.log, "a", encoding="utf-8") as log:
                    log.write(json.dumps(entry, sort_keys=True) + "\n")

        def reply(self, status, body, content_type, length=True):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            if length:
                self.send_header("Content-Length", str(len(body)))
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

        def answer(self):
            self.record()
            if options.mode == "silent":
                while True:
                    time.sleep(3600)
            if options.mode == "endless":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Connection", "close")
                self.end_headers()
                chunk = b"[" * 65536
                try:
                    while True:
                        self.wfile.write(chunk)
                except OSError:
                    return
            if options.mode == "canned":
                with open(options.body_file, "rb") as file:
                    body = file.read()
                return self.reply(options.status, body, options.content_type, length=not options.no_length)
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/set":
                query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
                key = (query["name"][0], query.get("labels", [""])[0])
                with lock:
                    samples[key] = float(query["value"][0])
                return self.reply(200, b"ok\n", "text/plain")
            if url.path == "/clear":
                with lock:
                    samples.clear()
                return self.reply(200, b"ok\n", "text/plain")
            if url.path == "/metrics":
                lines, typed = [], set()
                with lock:
                    for (name, labels), value in sorted(samples.items()):
                        if name not in typed:
                            lines.append("# TYPE %s gauge" % name)
                            typed.add(name)
                        text = repr(value) if value == value and abs(value) != float("inf") else \
                            ("NaN" if value != value else ("+Inf" if value > 0 else "-Inf"))
                        lines.append("%s%s %s" % (name, "{%s}" % labels if labels else "", text))
                body = ("\n".join(lines) + "\n").encode()
                return self.reply(200, body, "text/plain; version=0.0.4")
            return self.reply(404, b"not found\n", "text/plain")

        do_GET = answer
        do_POST = answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if options.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(options.tls_cert, options.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
