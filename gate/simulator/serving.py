"""Serving a Simulator over HTTP or HTTPS on a loopback port, in a background thread."""

from __future__ import annotations

import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from gate.simulator.server import Exchange, RecordedRequest, Simulator

# Seconds a client gets to complete the TLS handshake in HTTPS mode.
HANDSHAKE_TIMEOUT = 10.0


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "EPM-Simulator/1"
    # TCP_NODELAY: the status line and headers go out before the body, and with Nagle's
    # algorithm the body then waits for the client's delayed ACK, about 40 ms a request.
    disable_nagle_algorithm = True
    simulator: Simulator

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests read the recorded requests instead."""

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        headers = {key.lower(): value for key, value in self.headers.items()}
        recorded = RecordedRequest(self.command, self.path, headers, body, time.monotonic())
        with self.simulator.lock:
            self.simulator.requests.append(recorded)
        exchange = Exchange(self, self.simulator, recorded)
        for method, pattern, handler in self.simulator.routes:
            match = pattern.fullmatch(path)
            if match is None or method != self.command:
                continue
            if getattr(handler, "public", False) or self.simulator.authorised(
                headers.get("authorization")
            ):
                handler(exchange, match)
            else:
                text, content_type = self.simulator.unauthorised_answer
                exchange.send(
                    401, text.encode(), content_type, {"WWW-Authenticate": 'Basic realm="EPM"'}
                )
            return
        exchange.send_json(404, {"status": 8, "details": f"no resource at {path}"})

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    tls = False
    ssl_context: ssl.SSLContext | None = None

    def handle_error(self, request: object, client_address: object) -> None:
        """Ignore broken connections: scripted resets and impatient clients cause them."""

    def finish_request(self, request: Any, client_address: Any) -> None:
        """Serve one connection; in HTTPS mode, after a TLS handshake in this thread.

        The handshake runs here rather than in ``accept``, so a client that rejects the
        certificate or never speaks cannot stall the listening thread.
        """
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(HANDSHAKE_TIMEOUT)
        try:
            connection = self.ssl_context.wrap_socket(request, server_side=True)
        except OSError:
            return
        connection.settimeout(None)
        try:
            super().finish_request(connection, client_address)
        finally:
            connection.close()


class SimulatorServer:
    """Serves a Simulator on a loopback port in a background thread.

    With ``ssl_context`` (a server context holding a certificate chain) it serves HTTPS.
    """

    def __init__(
        self,
        simulator: Simulator | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.simulator = simulator or Simulator()
        handler = type("Handler", (_RequestHandler,), {"simulator": self.simulator})
        self.httpd = _QuietServer((host, port), handler)
        self.httpd.ssl_context = ssl_context
        self.httpd.tls = ssl_context is not None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Return the base URL, e.g. ``http://127.0.0.1:8123``."""
        host, port = self.httpd.server_address[:2]
        scheme = "https" if getattr(self.httpd, "tls", False) else "http"
        return f"{scheme}://{host!s}:{port}"

    def start(self) -> SimulatorServer:
        """Start serving in a daemon thread and return self."""
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, name="epm-simulator", daemon=True
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
