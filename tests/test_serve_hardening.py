"""`hmic serve` answers only its own page (issue 13, item 6): Host checked, headers clean, connections bounded, hang-ups quiet."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hmic_compile.tools import serve_http
from hmic_compile.tools.serve import HOST, Server, Site, _Handler

from .conftest import REPO
from .test_serve import get, save, status, wait_for_generation

MINI = REPO / "tests" / "fixtures" / "mini"
KEY = "testshire-2024"
OTHER = "westshire-2024"  # in the national results with testshire's grades, so a copy of it is valid
TIMEOUT = 10


@pytest.fixture
def root(tmp_path: Path) -> Path:
    dest = tmp_path / "mini"
    shutil.copytree(MINI, dest)
    return dest


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the tests that change nothing on disk."""
    dest = tmp_path_factory.mktemp("serve") / "mini"
    shutil.copytree(MINI, dest)
    srv = Server(Site(dest, KEY), port=0, interval=60).start()
    try:
        yield srv
    finally:
        srv.stop()


def raw(srv: Server, request: bytes) -> bytes:
    """Send bytes as they are and read the whole answer (the server closes after one request)."""
    with socket.create_connection((HOST, srv.httpd.server_address[1]), timeout=TIMEOUT) as s:
        s.sendall(request)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def request(srv: Server, path: str = f"/{KEY}/report.html", host: str | None = "", extra: str = "") -> tuple[int, bytes, bytes]:
    port = srv.httpd.server_address[1]
    host_line = "" if host is None else f"Host: {host or f'127.0.0.1:{port}'}\r\n"
    answer = raw(srv, f"GET {path} HTTP/1.1\r\n{host_line}{extra}Connection: close\r\n\r\n".encode("latin-1"))
    head, _, body = answer.partition(b"\r\n\r\n")
    head += b"\r\n"  # every header line ends with CRLF
    return int(head.split(b" ", 2)[1]), head, body


# --- Host: DNS rebinding -------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:{port}",
        "127.0.0.1",
        "localhost",
        "127.0.0.1:1",
        "localhost.:{port}",
        "127.0.0.1.evil.example:{port}",
        "[::1]:{port}",
        "0.0.0.0:{port}",
        "",
        None,
    ],
    ids=[
        "name",
        "name-and-port",
        "no-port",
        "localhost-no-port",
        "other-port",
        "trailing-dot",
        "suffix",
        "ipv6",
        "any",
        "empty",
        "missing",
    ],
)
def test_any_other_host_is_refused(server: Server, host: str | None) -> None:
    port = server.httpd.server_address[1]
    shown = None if host is None else (host.format(port=port) if host else " ")
    code, head, body = request(server, host=shown)
    assert code == 421, head
    assert b"hmic serve answers only 127.0.0.1 and localhost" in body
    assert b"Testshire" not in body


def test_two_host_headers_are_refused(server: Server) -> None:
    port = server.httpd.server_address[1]
    code, _, _ = request(server, host=f"127.0.0.1:{port}", extra="Host: evil.example\r\n")
    assert code == 421


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}"])
def test_its_own_names_are_served(server: Server, host: str) -> None:
    code, _, body = request(server, host=host.format(port=server.httpd.server_address[1]))
    assert code == 200 and b"Testshire" in body
    assert get(server, "/_hmic/status")[0] == 200  # urllib sends 127.0.0.1:PORT, as a browser does


# --- folder names never reach a header -------------------------------------------------------


INJECTED = "x\r\nSet-Cookie: hmic=1\r\nX-Injected: yes"


def test_a_folder_name_with_line_breaks_never_reaches_a_header(root: Path) -> None:
    (root / "evidence" / INJECTED).mkdir()
    srv = Server(Site(root), port=0, interval=60).start()
    try:
        _, head, body = request(srv, "/")
        assert b"Set-Cookie" not in head and b"X-Injected" not in head
        assert b'href="/x%0D%0ASet-Cookie%3A%20hmic%3D1%0D%0AX-Injected%3A%20yes/"' in body  # the index links it, encoded
        code, head, _ = request(srv, "/x%0D%0ASet-Cookie%3A%20hmic%3D1%0D%0AX-Injected%3A%20yes")
        assert code == 301, head
        assert b"\r\nLocation: /x%0D%0ASet-Cookie%3A%20hmic%3D1%0D%0AX-Injected%3A%20yes/\r\n" in head
        assert b"Set-Cookie" not in head.replace(b"Set-Cookie%3A", b"")
        code, head, body = request(srv, "/x%0D%0ASet-Cookie%3A%20hmic%3D1%0D%0AX-Injected%3A%20yes/report.html")
        assert code == 200 and b"Set-Cookie" not in head and b"the report cannot be built" in body
    finally:
        srv.stop()


def test_the_only_force_is_redirected_to_encoded(root: Path) -> None:
    shutil.rmtree(root / "evidence" / KEY)
    (root / "evidence" / INJECTED).mkdir()
    srv = Server(Site(root), port=0, interval=60).start()
    try:
        code, head, _ = request(srv, "/")
        assert code == 302 and b"\r\nLocation: /x%0D%0ASet-Cookie%3A%20hmic%3D1%0D%0AX-Injected%3A%20yes/\r\n" in head
        assert b"\r\nSet-Cookie" not in head
    finally:
        srv.stop()


def test_a_header_value_with_a_line_break_is_never_sent() -> None:
    assert serve_http.safe_header("/a%0D%0A/") == "/a%0D%0A/"
    for bad in ("a\rb", "a\nb", "a\0b"):
        with pytest.raises(ValueError, match="line break"):
            serve_http.safe_header(bad)


# --- connections: timeouts, a bounded number of threads, 503 ----------------------------------


def _open_idle(srv: Server, n: int) -> list[socket.socket]:
    """n connections that send nothing: each holds a handler slot until its timeout."""
    out = []
    for _ in range(n):
        s = socket.create_connection((HOST, srv.httpd.server_address[1]), timeout=TIMEOUT)
        out.append(s)
    return out


def test_a_silent_connection_is_closed_after_the_timeout(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_Handler, "timeout", 0.5)
    (idle,) = _open_idle(server, 1)
    with idle:
        idle.settimeout(TIMEOUT)
        assert idle.recv(1024) == b""  # closed by the server (recv would raise TimeoutError if it waited on)


def test_connections_beyond_the_limit_wait_then_get_503_and_threads_stay_bounded(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serve_http, "MAX_CONNECTIONS", 3)
    monkeypatch.setattr(serve_http, "WAIT_SECONDS", 0.05)
    monkeypatch.setattr(_Handler, "timeout", 30)
    srv = Server(Site(root, KEY), port=0, interval=60).start()
    before = threading.active_count()
    idle = _open_idle(srv, 12)
    try:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and threading.active_count() < before + 3:
            time.sleep(0.02)
        time.sleep(0.3)
        assert threading.active_count() <= before + 3  # one thread per slot, not one per connection
        code, head, body = request(srv)
        assert code == 503, head
        assert b"Retry-After: 1" in head and b"busy" in body
    finally:
        for s in idle:
            s.close()
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:  # the slots free as the server sees the idle ones go
        if request(srv)[0] == 200:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the server did not recover once the idle connections closed")
    srv.stop()


# --- hang-ups are not tracebacks --------------------------------------------------------------


def test_a_client_that_hangs_up_early_is_not_a_traceback(server: Server, capfd: pytest.CaptureFixture[str]) -> None:
    port = server.httpd.server_address[1]
    for path in (f"/{KEY}/report.html", "/_hmic/status", f"/{KEY}/"):
        for _ in range(5):
            s = socket.create_connection((HOST, port), timeout=TIMEOUT)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # close with a reset
            s.close()
    assert status(server)["generation"] == 1  # still serving
    time.sleep(0.3)
    err = capfd.readouterr().err
    assert "Traceback" not in err and "BrokenPipeError" not in err and "ConnectionResetError" not in err


@pytest.mark.parametrize("exc", [BrokenPipeError(32, "Broken pipe"), ConnectionResetError(104, "reset"), TimeoutError("timed out")])
def test_handle_error_is_quiet_for_a_hang_up(server: Server, capfd: pytest.CaptureFixture[str], exc: Exception) -> None:
    try:
        raise exc
    except type(exc):
        server.httpd.handle_error(None, ("127.0.0.1", 1))
    assert capfd.readouterr().err == ""


def test_handle_error_still_reports_a_bug(server: Server, capfd: pytest.CaptureFixture[str]) -> None:
    try:
        raise KeyError("a bug in hmic")
    except KeyError:
        server.httpd.handle_error(None, ("127.0.0.1", 1))
    assert "KeyError: 'a bug in hmic'" in capfd.readouterr().err


# --- one force's error does not hide another's report ---------------------------------------


def test_one_forces_error_does_not_hide_another_forces_report(root: Path) -> None:
    shutil.copytree(root / "evidence" / KEY, root / "evidence" / OTHER)
    srv = Server(Site(root), port=0, interval=0.05).start()
    try:
        assert status(srv)["summary"] == "0 errors, 0 warnings"
        broken = root / "evidence" / OTHER / "public-contact.yaml"
        save(broken, broken.read_text(encoding="utf-8").replace("strengths:", "strenghts:"))
        s = wait_for_generation(srv, 2)
        assert s["summary"].startswith("1 error")
        _, _, mine = get(srv, f"/{KEY}/report.html")
        assert b"the report cannot be built" not in mine and b"Emergency calls are answered" in mine
        _, _, theirs = get(srv, f"/{OTHER}/report.html")
        assert b"the report cannot be built" in theirs and b"strenghts" in theirs
        assert f"evidence/{KEY}".encode() not in theirs  # only its own problems
        # an error in the framework both use stops both
        fw = root / "criteria" / "2024" / "framework.yaml"
        save(fw, fw.read_text(encoding="utf-8").replace("title:", "titel:", 1))
        wait_for_generation(srv, 3)
        for key in (KEY, OTHER):
            page = get(srv, f"/{key}/report.html")[2]
            assert b"the report cannot be built" in page and b"criteria/2024/framework.yaml" in page, key
    finally:
        srv.stop()


def test_concerns_is_by_folder() -> None:
    from hmic_compile.diagnostics import Diagnostic, Loc
    from hmic_compile.tools.serve import concerns

    def d(path: str) -> Diagnostic:
        return Diagnostic(Loc(path, 1, 1), "E104", "x")

    assert concerns(d("evidence/a-2007/x.yaml"), "a-2007", "2007")
    assert concerns(d("evidence/a-2007"), "a-2007", "2007")
    assert not concerns(d("evidence/a-2007b/x.yaml"), "a-2007", "2007")
    assert not concerns(d("evidence/b-2007/x.yaml"), "a-2007", "2007")
    assert concerns(d("criteria/2007/framework.yaml"), "a-2007", "2007")
    assert not concerns(d("criteria/2008/framework.yaml"), "a-2007", "2007")
    assert concerns(d("criteria/2008/framework.yaml"), "a-2007", None)  # a force that did not load: its framework is unknown
    assert concerns(d("templates/report.html.j2"), "a-2007", "2007") and concerns(d("criteria"), "a-2007", "2007")


def test_a_round_waits_only_for_its_own_frameworks_errors_and_checks_the_host(root: Path) -> None:
    shutil.copytree(root / "criteria" / "2024", root / "criteria" / "other-2024")
    shutil.copytree(root / "evidence" / KEY, root / "evidence" / OTHER)
    force = root / "evidence" / OTHER / "force.yaml"
    force.write_text(force.read_text(encoding="utf-8").replace('framework: "2024"', 'framework: "other-2024"'), encoding="utf-8")
    srv = Server(Site(root), port=0, interval=0.05).start()
    try:
        assert status(srv)["summary"] == "0 errors, 0 warnings"
        assert request(srv, "/2024/index.html", host="evil.example")[0] == 421
        broken = root / "evidence" / OTHER / "public-contact.yaml"
        save(broken, broken.read_text(encoding="utf-8").replace("strengths:", "strenghts:"))
        assert wait_for_generation(srv, 2)["summary"].startswith("1 error")
        code, _, mine = get(srv, "/2024/index.html")
        assert code == 200 and b"cannot be built" not in mine and f"../{KEY}/report.html".encode() in mine
        _, _, theirs = get(srv, "/other-2024/index.html")
        assert b"cannot be built" in theirs and b"strenghts" in theirs and f"evidence/{KEY}".encode() not in theirs
        code, head, _ = request(srv, "/2024")
        assert code == 301 and b"\r\nLocation: /2024/\r\n" in head
    finally:
        srv.stop()
