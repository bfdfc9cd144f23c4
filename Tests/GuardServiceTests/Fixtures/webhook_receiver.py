#!/usr/bin/env python3
"""A webhook receiver for the guard's notification tests (python3 stdlib only).

Binds 127.0.0.1 (or --bind ADDRESS) on a free port and prints that port as the first line of
stdout. Each request is appended to LOG as one JSON line: {"method", "path", "headers", "body",
"sni"}, headers with lower-case names, body as text, sni the server name the client sent in
its TLS hello (null without TLS or without SNI). The line is written when the request arrives,
before any answer, so a test can see a request that is still being held. A TLS handshake that
fails writes nothing.

Options:
  --log FILE        where requests are appended (required)
  --fail-first N    answer 500 to the first N requests (default 0)
  --status CODE     answer CODE instead of 200 once the failures are over (default 200)
  --hold-until FILE do not answer any request until FILE exists
  --stdin-lifeline  exit when stdin reaches end of file: a test that holds the other end of a
                    pipe cannot leave the receiver running, even if the test process dies
  --bind ADDRESS    listen on ADDRESS, IPv4 or IPv6 (default 127.0.0.1)
  --tls-cert FILE   serve https with this PEM certificate (and --tls-key FILE, its key)

It unblocks every signal first (a test runner's thread may have blocked them), so SIGTERM
ends it.
"""
import argparse
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", required=True)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--status", type=int, default=200)
    parser.add_argument("--hold-until")
    parser.add_argument("--stdin-lifeline", action="store_true")
    parser.add_argument("--bind", default="127.0.0.1")
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
    seen = [0]

    class Handler(BaseHTTPRequestHandler):
        def answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with lock:
                seen[0] += 1
                number = seen[0]
                record = {
                    "method": self.command,
                    "path": self.path,
                    "headers": {name.lower(): value for name, value in self.headers.items()},
                    "body": body.decode("utf-8", "replace"),
                    "sni": getattr(self.connection, "sni", None),
                }
                with open(options.log, "a", encoding="utf-8") as log:
                    log.write(json.dumps(record, sort_keys=True) + "\n")
            while options.hold_until and not os.path.exists(options.hold_until):
                time.sleep(0.01)
            status = 500 if number <= options.fail_first else options.status
            reply = b'{"ok": %s}' % (b"true" if 200 <= status < 300 else b"false")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_POST = answer
        do_GET = answer
        do_PUT = answer

        def log_message(self, format, *args):
            pass

    class Server(HTTPServer):
        address_family = socket.AF_INET6 if ":" in options.bind else socket.AF_INET

    server = Server((options.bind, 0), Handler)
    if options.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(options.tls_cert, options.tls_key)

        def remember_sni(connection, name, _context):
            connection.sni = name

        context.sni_callback = remember_sni
        # The handshake happens in accept(); one that fails raises an OSError there, which the
        # server ignores, and it goes on serving.
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
