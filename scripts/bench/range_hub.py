#!/usr/bin/env python3
"""A Range-capable stand-in for the Hugging Face Hub, for the remote-header benchmark.

Stands for the Hub's public download contract as of 2026 (see ../shared/reference/hub-apis.md):
`GET /api/models/{owner}/{name}?blobs=true` answers the model info (`sha`, `siblings` with
`rfilename`, `size` and `lfs.{sha256,size}`), and `GET /{owner}/{name}/resolve/{rev}/{path}`
answers a `Range: bytes=a-b` request with `206` and `Content-Range: bytes a-b/SIZE` (clamped
to the file's end), or `416` for a range past it. Files are served straight from disk.

Every request is counted: `GET /_stats` answers `{"requests": N, "bytes": B,
"range_requests": R, "range_bytes": RB}` (body bytes) for the requests since the previous
`/_stats`, which resets the counts, so a benchmark can ask what one client cost.

Usage: range_hub.py PORT_FILE REPO=FOLDER...  (listens on 127.0.0.1, a free port written
to PORT_FILE once it is listening).
"""

import hashlib
import json
import os
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPOS = {}  # "owner/name" -> {file name: path}
SHA256 = {}  # path -> hex digest
STATS = {"requests": 0, "bytes": 0, "range_requests": 0, "range_bytes": 0}
LOCK = threading.Lock()


def sha256_of(path):
    if path not in SHA256:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        SHA256[path] = digest.hexdigest()
    return SHA256[path]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return len(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        if self.path == "/_stats":
            with LOCK:
                body = json.dumps(STATS).encode()
                for key in STATS:
                    STATS[key] = 0
            self.answer(200, body, [("Content-Type", "application/json")])
            return
        sent = self.serve()
        with LOCK:
            STATS["requests"] += 1
            STATS["bytes"] += sent
            if self.headers.get("Range"):
                STATS["range_requests"] += 1
                STATS["range_bytes"] += sent

    def serve(self):
        info = re.fullmatch(r"/api/models/([^/]+/[^/?]+)(?:/revision/[^?]+)?(?:\?.*)?", self.path)
        if info and info.group(1) in REPOS:
            files = REPOS[info.group(1)]
            siblings = [
                {
                    "rfilename": name,
                    "size": os.path.getsize(path),
                    "lfs": {"sha256": sha256_of(path), "size": os.path.getsize(path)},
                }
                for name, path in sorted(files.items())
            ]
            body = json.dumps({"id": info.group(1), "sha": "0" * 40, "private": False,
                               "gated": False, "siblings": siblings}).encode()
            return self.answer(200, body, [("Content-Type", "application/json")])
        resolve = re.fullmatch(r"/([^/]+/[^/]+)/resolve/[^/]+/(.+)", self.path)
        path = resolve and REPOS.get(resolve.group(1), {}).get(resolve.group(2))
        if not path:
            return self.answer(404, b'{"error":"Entry not found"}',
                               [("Content-Type", "application/json"),
                                ("X-Error-Code", "EntryNotFound")])
        size = os.path.getsize(path)
        wanted = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if not wanted:
            # The whole file: never wanted by a header reader, so refuse rather than send GBs.
            return self.answer(400, b"this stand-in serves ranges only")
        start = int(wanted.group(1))
        end = min(int(wanted.group(2)) if wanted.group(2) else size - 1, size - 1)
        if start >= size:
            return self.answer(416, b"", [("Content-Range", f"bytes */{size}")])
        with open(path, "rb") as f:
            f.seek(start)
            body = f.read(end - start + 1)
        return self.answer(206, body, [("Content-Range", f"bytes {start}-{end}/{size}"),
                                       ("Accept-Ranges", "bytes"),
                                       ("Content-Type", "application/octet-stream")])


def main():
    port_file = sys.argv[1]
    for spec in sys.argv[2:]:
        repo, folder = spec.split("=", 1)
        REPOS[repo] = {name: os.path.join(folder, name) for name in os.listdir(folder)
                       if name.endswith(".gguf")}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
