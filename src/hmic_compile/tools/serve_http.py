"""The HTTP side of `hmic serve`: loopback only, its own Host only, few connections, short timeouts, quiet hang-ups."""

from __future__ import annotations

import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

HOST = "127.0.0.1"
MAX_CONNECTIONS = 16  # requests handled at once; one more waits up to WAIT_SECONDS, then gets 503
WAIT_SECONDS = 1.0
TIMEOUT_SECONDS = 10  # a connection that sends or reads nothing for this long is closed

_BUSY_BODY = b"hmic serve is busy; try again.\n"
BUSY = (
    b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: %d\r\nRetry-After: 1\r\nConnection: close\r\n\r\n%s" % (len(_BUSY_BODY), _BUSY_BODY)
)
HANGUPS = (ConnectionError, TimeoutError)  # BrokenPipeError, ConnectionResetError, ConnectionAbortedError


def _wait_seconds() -> float:
    return WAIT_SECONDS  # read when used, so a test can shorten it


def allowed_hosts(port: int) -> frozenset[str]:
    """The Host headers a browser sends for this server: anything else is another site's page (DNS rebinding)."""
    return frozenset({f"{HOST}:{port}", f"localhost:{port}"})


def host_allowed(handler: BaseHTTPRequestHandler, port: int) -> bool:
    hosts = handler.headers.get_all("Host") or []
    return len(hosts) == 1 and hosts[0].strip().lower() in allowed_hosts(port)


def safe_header(value: str) -> str:
    """A header value as sent: one that could end the header early (CR, LF, NUL) is a bug in hmic, never sent."""
    if any(c in value for c in "\r\n\0"):
        raise ValueError(f"header value with a line break: {value!r}")
    return value


class LoopbackServer(HTTPServer):
    """An HTTP server on 127.0.0.1 with a bounded number of handler threads.

    http.server's ThreadingHTTPServer starts a thread for every connection, without limit; here a
    connection waits for one of MAX_CONNECTIONS slots (as the kernel's backlog holds the ones after it)
    and is answered 503 if none frees in time. A client that hangs up or goes quiet is dropped without
    a traceback.
    """

    daemon_threads = True

    def __init__(self, port: int, handler: type[BaseHTTPRequestHandler], limit: int | None = None):
        self.limit = limit or MAX_CONNECTIONS
        self._slots = threading.BoundedSemaphore(self.limit)
        super().__init__((HOST, port), handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(timeout=_wait_seconds()):
            self._busy(request)
            return
        try:
            threading.Thread(target=self._handle, args=(request, client_address), name="hmic-serve-request", daemon=True).start()
        except RuntimeError:  # no thread could be started
            self._slots.release()
            self._busy(request)

    def _handle(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - socketserver's own contract: report, keep serving
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self._slots.release()

    def _busy(self, request: socket.socket) -> None:
        try:
            request.settimeout(_wait_seconds())
            request.sendall(BUSY)
        except OSError:
            pass
        self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], HANGUPS):
            return  # the browser went away (a reload, a closed tab): nothing to report
        super().handle_error(request, client_address)  # a bug in hmic: its traceback helps
