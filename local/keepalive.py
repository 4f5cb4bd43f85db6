"""HTTP/1.1 keep-alive for the local servers (the API and the AWS endpoint), which werkzeug's server refuses.

Why: werkzeug's development server ends every response with ``Connection: close``, so every SDK call a function
makes opened a TCP connection and the server started a thread for it (the intake bench, issue 18: 7.6 connections
per order on the AWS endpoint and one per request on the API, a fifth of the local cloud's CPU). API Gateway and
the AWS endpoints keep connections open, and botocore and requests reuse them.

werkzeug closes because its server cannot tell where a request's body ends once the application has read part of
it (it drains the socket after every response). Here the body is read whole first, by its Content-Length, and the
application reads it from memory; the drain then finds nothing of the next request to eat. A request whose body
has no length (chunked) is left to werkzeug as before, and closed. The servers close the connections they hold
when they stop (``close_connections``), so a client holding one sees the server gone, as before.
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import io
import socket
import threading
import time
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler

IDLE_SECONDS = 120
"""An idle connection's thread ends after this long without a request."""


class KeepAlive(WSGIRequestHandler):
    """Mix in before a WSGIRequestHandler: answers on one connection until the client closes it."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_SECONDS
    _keep = False

    def setup(self) -> None:
        super().setup()
        # werkzeug writes a response's headers and its body in separate sends; with Nagle's algorithm on, the body
        # waits for the ACK of the headers, which the client delays up to 40 ms: each SDK call took 44 ms on an
        # idle machine. AWS's endpoints answer at once, and so does this one.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _open(self.server).add(self.connection)

    def finish(self) -> None:
        _open(self.server).discard(self.connection)
        super().finish()

    def run_wsgi(self) -> None:
        length = (self.headers.get("Content-Length") or "0").strip()
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower() or not length.isdigit():
            self._keep = False
            super().run_wsgi()  # werkzeug's way: read as it comes, then close
            return
        body = self.rfile.read(int(length))
        if len(body) < int(length):  # the client hung up mid-body
            self.close_connection = True
            return
        on_socket, self.rfile = self.rfile, io.BytesIO(body)
        self._keep = True
        try:
            super().run_wsgi()
        finally:
            self.rfile, self._keep = on_socket, False

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The Date header of a response, formatted once a second (its resolution), not once per response."""
        return super().date_time_string(timestamp) if timestamp is not None else _http_date(int(time.time()))

    def send_header(self, keyword: str, value: str) -> None:
        if self._keep and keyword.lower() == "connection" and value.lower() == "close":
            return  # the body was read whole: the connection can carry the next request
        super().send_header(keyword, value)


@functools.lru_cache(maxsize=1)
def _http_date(second: int) -> str:
    return email.utils.formatdate(second, usegmt=True)


_LOCK = threading.Lock()


def _open(server: Any) -> set[socket.socket]:
    with _LOCK:
        found: set[socket.socket] | None = getattr(server, "_telar_open_connections", None)
        if found is None:
            found = server._telar_open_connections = set()
        return found


def close_connections(server: BaseWSGIServer) -> None:
    """Close every connection the server still holds open (after it stopped accepting new ones)."""
    for connection in list(_open(server)):
        with contextlib.suppress(OSError):  # already gone
            connection.shutdown(socket.SHUT_RDWR)
