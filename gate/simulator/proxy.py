"""A forward proxy for tests: requires Proxy-Authorization and tunnels CONNECT to loopback only.

It listens on 127.0.0.1 and never opens a connection to any other host: a CONNECT to a
non-loopback target, and every plain-HTTP request, is recorded and refused. That also
makes it a trap: a test that routes all traffic through it learns from ``requests`` where
a client tried to go, without that host being resolved or contacted.
"""

from __future__ import annotations

import base64
import contextlib
import select
import socket
import socketserver
import threading
from dataclasses import dataclass

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")

# Maximum size of a request head: lines, and bytes per line.
MAX_HEADER_LINES = 100
MAX_LINE = 8192
# Seconds a tunnel may stay idle before the proxy closes it.
TUNNEL_IDLE_TIMEOUT = 30.0


@dataclass
class ProxyRequest:
    """One request the proxy received, and the status code it returned."""

    method: str
    target: str
    proxy_authorization: str | None
    status: int


class _ProxyHandler(socketserver.StreamRequestHandler):
    proxy: ForwardProxy

    def handle(self) -> None:
        request_line = self.rfile.readline(MAX_LINE).decode("latin-1").strip()
        headers = self._read_headers()
        method, _, rest = request_line.partition(" ")
        target = rest.rpartition(" ")[0] or rest
        authorization = headers.get("proxy-authorization")
        status = self._decide(method, target, authorization)
        with self.proxy.lock:
            self.proxy.requests.append(ProxyRequest(method, target, authorization, status))
        if status != 200:
            self._reject(status)
            return
        host, _, port = target.rpartition(":")
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
        except (OSError, ValueError):
            self._reject(502)
            return
        with upstream:
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.wfile.flush()
            _pump(self.connection, upstream)

    def _read_headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADER_LINES):
            line = self.rfile.readline(MAX_LINE).decode("latin-1")
            if line in ("\r\n", "\n", ""):
                break
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return headers

    def _decide(self, method: str, target: str, authorization: str | None) -> int:
        if authorization != self.proxy.expected_authorization:
            return 407
        if method != "CONNECT":
            return 403
        host = target.rpartition(":")[0].strip("[]")
        return 200 if host in LOOPBACK_NAMES else 403

    def _reject(self, code: int) -> None:
        reason = {407: "Proxy Authentication Required", 403: "Forbidden", 502: "Bad Gateway"}
        head = f"HTTP/1.1 {code} {reason.get(code, 'Error')}\r\nContent-Length: 0\r\n"
        if code == 407:
            head += 'Proxy-Authenticate: Basic realm="proxy"\r\n'
        self.wfile.write((head + "Connection: close\r\n\r\n").encode())


def _pump(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until one side closes or the tunnel stays idle too long."""
    sockets = [client, upstream]
    while True:
        readable, _, _ = select.select(sockets, [], [], TUNNEL_IDLE_TIMEOUT)
        if not readable:
            return
        for source in readable:
            try:
                data = source.recv(65536)
            except OSError:
                return
            if not data:
                return
            target = upstream if source is client else client
            try:
                target.sendall(data)
            except OSError:
                return


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Ignore connections the client dropped."""


class ForwardProxy:
    """Serves the proxy on a free port of 127.0.0.1 until stopped."""

    def __init__(self, user: str, password: str) -> None:
        credentials = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.expected_authorization = f"Basic {credentials}"
        self.requests: list[ProxyRequest] = []
        self.lock = threading.Lock()
        handler = type("Handler", (_ProxyHandler,), {"proxy": self})
        self.server = _ProxyServer(("127.0.0.1", 0), handler)
        self.thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """Return the port the proxy listens on."""
        return int(self.server.server_address[1])

    def url(self, user: str, password: str) -> str:
        """Return a proxy URL with credentials, for HTTPS_PROXY."""
        return f"http://{user}:{password}@127.0.0.1:{self.port}"

    def start(self) -> ForwardProxy:
        """Start serving in a daemon thread and return self."""
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="forward-proxy", daemon=True
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        with contextlib.suppress(OSError):
            self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> ForwardProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
