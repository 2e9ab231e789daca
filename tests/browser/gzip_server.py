"""Serve a built site on 127.0.0.1 the way a static host does: gzip for text, cache headers.

Python's ``http.server`` sends every file uncompressed, which makes a page look several
times heavier than it is on any real static host (GitHub Pages, Netlify, nginx with
``gzip on``). The performance test (``test_performance.py``) measures page weight and runs
Lighthouse against this server instead, so the numbers are those a reader would see.

Text types (HTML, CSS, JS, JSON, SVG, source maps, plain text) are compressed with gzip
level 6 when the client sends ``Accept-Encoding: gzip``; compressed bodies are cached in
memory by path and modification time. Images and fonts (already compressed) go as they are.

Usage as a script: ``python tests/browser/gzip_server.py _build/html [port]``.
"""

from __future__ import annotations

import gzip
import http.server
import sys
import threading
from pathlib import Path

COMPRESSIBLE = {".html", ".css", ".js", ".mjs", ".json", ".svg", ".txt", ".map", ".xml", ".ipynb", ".md"}


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """SimpleHTTPRequestHandler plus gzip Content-Encoding for text files."""

    cache: dict[tuple[str, float], bytes] = {}
    lock = threading.Lock()

    def log_message(self, *args):  # keep pytest's output readable
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "max-age=600")
        super().end_headers()

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?", 1)[0].endswith("/"):
                return super().send_head()  # the redirect to "dir/"
            path = path / "index.html"
        if not ("gzip" in self.headers.get("Accept-Encoding", "") and path.is_file()
                and path.suffix in COMPRESSIBLE):
            return super().send_head()
        key = (str(path), path.stat().st_mtime)
        with self.lock:
            body = self.cache.get(key)
        if body is None:
            body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
            with self.lock:
                self.cache[key] = body
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return _Body(body)


class _Body:
    """The minimal file-like object SimpleHTTPRequestHandler.copyfile needs."""

    def __init__(self, data: bytes):
        self.data = data
        self.done = False

    def read(self, n: int = -1) -> bytes:
        if self.done:
            return b""
        self.done = True
        return self.data

    def close(self) -> None:
        pass


def serve(directory: str | Path, port: int = 0) -> http.server.ThreadingHTTPServer:
    """Start a gzip server on 127.0.0.1 in a daemon thread; returns the server (``server_address``)."""

    def handler(*args, **kwargs):
        return GzipHandler(*args, directory=str(directory), **kwargs)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


if __name__ == "__main__":
    site = sys.argv[1] if len(sys.argv) > 1 else "_build/html"
    httpd = serve(site, int(sys.argv[2]) if len(sys.argv) > 2 else 8000)
    print(f"serving {site} with gzip on http://127.0.0.1:{httpd.server_address[1]}/", flush=True)
    threading.Event().wait()
