"""The local servers' connections: kept open between requests, and answered without Nagle's delay."""

import http.client
import socket
import threading
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from local.api import _QuietHandler
from local.endpoint import _MotoKeepAlive
from local.keepalive import KeepAlive, close_connections


def _nodelay_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    connection: socket.socket = environ["werkzeug.socket"]
    answer = str(connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)).encode()
    start_response("200 OK", [("Content-Length", str(len(answer)))])
    return [answer]


class _Handler(KeepAlive, WSGIRequestHandler):
    pass


def test_the_servers_answer_without_waiting_for_the_client_s_delayed_ack() -> None:
    # Given a server with the local servers' connection handling
    server = make_server("127.0.0.1", 0, _nodelay_app, threaded=True, request_handler=_Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
    try:
        # When two requests come on one connection
        answers = []
        for _ in range(2):
            connection.request("GET", "/")
            answers.append(connection.getresponse().read())
        # Then its socket sends each write at once (TCP_NODELAY): a response's body does not wait up to 40 ms for
        # the ACK of its headers, which the client delays (each SDK call locally took 44 ms before)
        assert all(int(answer) != 0 for answer in answers)
    finally:
        connection.close()
        server.shutdown()
        close_connections(server)
        server.server_close()


def test_both_local_servers_handle_connections_that_way() -> None:
    assert issubclass(_QuietHandler, KeepAlive)
    assert issubclass(_MotoKeepAlive, KeepAlive)
