"""`hmic serve`'s live updates (tools/serve_push.py): events pushed to the page, bounded streams, a force re-read alone."""

from __future__ import annotations

import json
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hmic_compile.tools import serve_push
from hmic_compile.tools.serve import HOST, Server, Site

from .test_serve import KEY, MINI, TIMEOUT, get, save, status, wait_for_generation


@pytest.fixture
def root(tmp_path: Path) -> Path:
    dest = tmp_path / "mini"
    shutil.copytree(MINI, dest)
    shutil.copytree(dest / "evidence" / KEY, dest / "evidence" / "westshire-2024")  # the same grades as its national row
    return dest


@pytest.fixture
def server(root: Path) -> Iterator[Server]:
    srv = Server(Site(root), port=0, interval=0.05).start()
    try:
        yield srv
    finally:
        srv.stop()


class Events:
    """An EventSource's side of /_hmic/events, over a raw socket."""

    def __init__(self, srv: Server, host: str | None = None):
        port = srv.httpd.server_address[1]
        self.sock = socket.create_connection((HOST, port), timeout=TIMEOUT)
        host = host or f"127.0.0.1:{port}"
        self.sock.sendall(f"GET /_hmic/events HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n".encode())
        self.buf = b""

    def head(self) -> bytes:
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        return head

    def _more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError
        self.buf += chunk

    def event(self) -> dict:
        """The next data event (comments and `retry` skipped)."""
        while True:
            while b"\n\n" not in self.buf:
                self._more()
            block, _, self.buf = self.buf.partition(b"\n\n")
            for line in block.split(b"\n"):
                if line.startswith(b"data: "):
                    return json.loads(line[6:])

    def closed(self) -> bool:
        """Whether the server ends the stream (within TIMEOUT)."""
        try:
            while True:
                self._more()
        except EOFError:
            return True
        except TimeoutError:
            return False

    def close(self) -> None:
        self.sock.close()


def test_a_save_is_pushed_to_the_page_without_a_poll(server: Server, root: Path) -> None:
    events = Events(server)
    try:
        head = events.head()
        assert head.startswith(b"HTTP/1.0 200") or head.startswith(b"HTTP/1.1 200"), head
        assert b"Content-Type: text/event-stream" in head and b"Cache-Control: no-store" in head
        first = events.event()
        assert first["generation"] == 1 and first["summary"] == "0 errors, 0 warnings"
        force = root / "evidence" / KEY / "force.yaml"
        save(force, force.read_text(encoding="utf-8").replace("Testshire", "Pushshire"))
        second = events.event()
        assert second["generation"] == 2
        assert b"Pushshire" in get(server, f"/{KEY}/report.html")[2]
    finally:
        events.close()


def test_the_page_listens_to_its_own_origin_only(server: Server) -> None:
    _, headers, _ = get(server, f"/{KEY}/")
    assert "connect-src 'self'" in headers["Content-Security-Policy"] and "default-src 'none'" in headers["Content-Security-Policy"]
    js = get(server, "/_hmic/live.js")[2]
    assert b'new EventSource("/_hmic/events")' in js and b"http" not in js.replace(b"hmic", b"")


def test_an_event_stream_from_another_host_is_refused(server: Server) -> None:
    events = Events(server, host="evil.example")
    try:
        assert events.head().split(b" ")[1] == b"421"
    finally:
        events.close()


def test_streams_are_bounded_so_pages_never_hold_every_slot(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serve_push, "MAX_STREAMS", 2)
    streams: list[Events] = []
    try:
        for _ in range(4):  # one after another: a stream is open once its first event has come
            streams.append(Events(server))
            streams[-1].head()
            streams[-1].event()
        assert streams[0].closed() and streams[1].closed()  # the oldest, closed for the newer
        assert server.site.changes.streams == 2
        assert status(server)["generation"] == 1  # and the server answers the rest
    finally:
        for s in streams:
            s.close()


def test_a_stream_ends_after_its_time_and_the_browser_is_told_to_reopen_it(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serve_push, "STREAM_SECONDS", 0.3)
    events = Events(server)
    try:
        events.head()
        assert events.buf.startswith(b"retry: ") or events.event()
        start = time.monotonic()
        assert events.closed()
        assert time.monotonic() - start < TIMEOUT
    finally:
        events.close()
    deadline = time.monotonic() + TIMEOUT
    while server.site.changes.streams and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.site.changes.streams == 0


def test_stopping_the_server_ends_its_streams(root: Path) -> None:
    srv = Server(Site(root), port=0, interval=60).start()
    events = Events(srv)
    events.head()
    events.event()
    start = time.monotonic()
    srv.stop()
    try:
        assert events.closed() and time.monotonic() - start < 5
    finally:
        events.close()


def test_a_save_in_one_force_rereads_that_force_alone(server: Server, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[str] = []
    real = serve_push.Loaded._load

    def spy(self: serve_push.Loaded, name: str) -> None:
        loaded.append(name)
        real(self, name)

    monkeypatch.setattr(serve_push.Loaded, "_load", spy)
    env = server.site._env
    get(server, f"/{KEY}/report.html")
    env = server.site._env
    assert env is not None
    other = get(server, "/westshire-2024/report.html")[2]
    glossary = root / "evidence" / KEY / "glossary.yaml"
    save(glossary, glossary.read_text(encoding="utf-8") + "bogus_key: 1\n")
    s = wait_for_generation(server, 2)
    assert loaded == [KEY]
    assert server.site._env is env  # one Jinja environment across rebuilds
    assert get(server, "/westshire-2024/report.html")[2] == other
    fresh = Site(root)
    fresh.refresh()
    assert s["diagnostics"] == fresh.status()["diagnostics"] and any("bogus_key" in d for d in s["diagnostics"])
    assert b"the report cannot be built" in get(server, f"/{KEY}/report.html")[2]


def test_a_framework_or_template_change_rereads_everything(server: Server, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[str] = []
    real = serve_push.Loaded.load_all
    monkeypatch.setattr(serve_push.Loaded, "load_all", lambda self: (loaded.append("all"), real(self))[1])
    get(server, f"/{KEY}/report.html")
    env = server.site._env
    framework = root / "criteria" / "2024" / "framework.yaml"
    save(framework, framework.read_text(encoding="utf-8") + "# a comment\n")
    wait_for_generation(server, 2)
    assert loaded == ["all"]
    assert server.site._env is env  # no template changed
    (root / "templates").mkdir()
    (root / "templates" / "report.html.j2").write_text('{% extends "default/report.html.j2" %}\n', encoding="utf-8")
    wait_for_generation(server, 3)
    assert loaded == ["all", "all"]
    get(server, f"/{KEY}/report.html")
    assert server.site._env is not env


def test_forces_changed() -> None:
    root = Path("/p")
    assert serve_push.forces_changed(root, ["/p/evidence/a-2024/force.yaml", "/p/evidence/b-2024/x/y.yaml"]) == {"a-2024", "b-2024"}
    assert serve_push.forces_changed(root, ["/p/evidence/a-2024/force.yaml", "/p/criteria/2024/framework.yaml"]) is None
    assert serve_push.forces_changed(root, ["/p/evidence/a-2024"]) is None  # a folder added or removed
    assert serve_push.forces_changed(root, ["/p/templates/report.html.j2"]) is None


def test_the_round_is_pushed_too_and_reloads_in_place(server: Server, root: Path) -> None:
    code, headers, _ = get(server, "/")
    assert code == 302 and headers["Location"] == "/2024/"  # the round is the landing page
    body = get(server, "/2024/")[2]
    assert b'src="index.html"' in body and b'<script src="/_hmic/live.js"></script>' in body
    js = get(server, "/_hmic/live.js")[2]
    assert b"location.reload()" in js and b'new EventSource("/_hmic/events")' in js
    events = Events(server)
    try:
        events.head()
        assert events.event()["generation"] == 1
        assert b"Pushshire" not in get(server, "/2024/index.html")[2]
        force = root / "evidence" / KEY / "force.yaml"
        save(force, force.read_text(encoding="utf-8").replace("Testshire", "Pushshire"))
        assert events.event()["generation"] == 2
        assert b"Pushshire" in get(server, "/2024/index.html")[2]  # the round is made again from the force re-read
    finally:
        events.close()


def test_the_idle_timeout_never_cuts_a_live_stream(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hmic_compile.tools.serve import _Handler

    monkeypatch.setattr(_Handler, "timeout", 0.3)  # the server's idle timeout, far shorter than the stream
    monkeypatch.setattr(serve_push, "HEARTBEAT_SECONDS", 0.1)
    srv = Server(Site(root), port=0, interval=0.05).start()
    events = Events(srv)
    try:
        events.head()
        assert events.event()["generation"] == 1
        time.sleep(1.0)  # past the timeout three times over: the stream writes, so it is not idle
        force = root / "evidence" / KEY / "force.yaml"
        save(force, force.read_text(encoding="utf-8").replace("Testshire", "Pushshire"))
        assert events.event()["generation"] == 2
        assert srv.site.changes.streams == 1
    finally:
        events.close()
        srv.stop()
