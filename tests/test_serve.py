"""`hmic serve` on loopback: the built report unchanged, a wrapper that reloads it, rebuilds on save, problems shown escaped."""

from __future__ import annotations

import json
import shutil
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hmic_compile.cli import app
from hmic_compile.tools.serve import HOST, Server, Site

from .conftest import REPO

runner = CliRunner()
MINI = REPO / "tests" / "fixtures" / "mini"
KEY = "testshire-2024"
TIMEOUT = 10  # seconds: every wait below is bounded


@pytest.fixture
def root(tmp_path: Path) -> Path:
    dest = tmp_path / "mini"
    shutil.copytree(MINI, dest)
    return dest


@pytest.fixture
def server(root: Path) -> Iterator[Server]:
    lines: list[str] = []
    srv = Server(Site(root, log=lines.append), port=0, interval=0.05).start()
    srv.log = lines  # type: ignore[attr-defined]
    try:
        yield srv
    finally:
        srv.stop()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return None


def get(srv: Server, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(srv.url.rstrip("/") + path, method=method)
    try:
        with opener.open(req, timeout=TIMEOUT) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def status(srv: Server) -> dict:
    return json.loads(get(srv, "/_hmic/status")[2])


def wait_for_generation(srv: Server, n: int) -> dict:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        s = status(srv)
        if s["generation"] >= n:
            return s
        time.sleep(0.05)
    pytest.fail(f"no rebuild within {TIMEOUT}s")


def save(path: Path, text: str) -> None:
    """Write and make sure the modification time moves, even on coarse-grained file systems."""
    before = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    if path.stat().st_mtime_ns == before:
        import os

        os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))


def test_listens_on_loopback_only(server: Server) -> None:
    assert server.httpd.server_address[0] == HOST == "127.0.0.1"
    assert server.url.startswith("http://127.0.0.1:")


def test_served_report_is_the_built_report(server: Server, root: Path, tmp_path: Path) -> None:
    code, headers, body = get(server, f"/{KEY}/report.html")
    assert code == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    b = runner.invoke(app, ["build", KEY, "--root", str(root), "--out", str(tmp_path / "out"), "--format", "html"])
    assert b.exit_code == 0, b.output
    built = (tmp_path / "out" / KEY / "report.html").read_bytes()
    assert body == built  # byte for byte: nothing is injected into the report
    assert b"<script" not in body and b"_hmic" not in built


def test_wrapper_page_reloads_the_report(server: Server) -> None:
    code, headers, _ = get(server, "/")
    assert code == 302 and headers["Location"] == "/2024/"  # the round of the one framework first
    code, headers, _ = get(server, f"/{KEY}")
    assert code == 301 and headers["Location"] == f"/{KEY}/"
    code, headers, body = get(server, f"/{KEY}/")
    assert code == 200
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe-eval" not in csp
    assert b'<iframe id="report"' in body and b'src="report.html"' in body and b'<script src="/_hmic/live.js"></script>' in body
    code, headers, js = get(server, "/_hmic/live.js")
    assert code == 200 and headers["Content-Type"].startswith("text/javascript")
    assert b"/_hmic/status" in js and b"textContent" in js and b"innerHTML" not in js
    s = status(server)
    assert s["generation"] == 1 and s["summary"] == "0 errors, 0 warnings" and s["diagnostics"] == []
    assert get(server, "/nothing/here")[0] == 404
    assert get(server, f"/{KEY}/report.html", method="HEAD")[2] == b""


def test_rebuilds_on_save_and_shows_problems_escaped(server: Server, root: Path) -> None:
    f = root / "evidence" / KEY / "public-contact.yaml"
    good = f.read_text(encoding="utf-8")
    save(f, good.replace("Emergency calls are answered in six seconds", "Emergency calls are answered in four seconds"))
    wait_for_generation(server, 2)
    assert b"answered in four seconds" in get(server, f"/{KEY}/report.html")[2]

    save(f, good.replace("strengths:", "<b>strenghts</b>:"))
    s = wait_for_generation(server, 3)
    assert s["summary"].startswith("1 error")
    assert any("unknown key '<b>strenghts</b>'" in line for line in s["diagnostics"])  # JSON, shown with textContent
    code, headers, page = get(server, f"/{KEY}/report.html")
    assert code == 200 and "script-src" not in headers["Content-Security-Policy"]
    text = page.decode("utf-8")
    assert "the report cannot be built" in text
    assert "unknown key &#x27;&lt;b&gt;strenghts&lt;/b&gt;&#x27;" in text and "<b>strenghts" not in text
    assert any("1 error" in line for line in server.log)  # type: ignore[attr-defined]

    save(f, good)
    wait_for_generation(server, 4)
    assert b"answered in six seconds" in get(server, f"/{KEY}/report.html")[2]


def test_a_new_file_or_template_change_triggers_a_rebuild(root: Path) -> None:
    templates = root / "my-templates"
    templates.mkdir()
    srv = Server(Site(root, KEY, templates), port=0, interval=0.05).start()
    try:
        assert status(srv)["generation"] == 1
        style = '{% extends "default/report.html.j2" %}{% block style %}{{ super() }} h2 { color: #123456; }{% endblock %}'
        (templates / "report.html.j2").write_text(style, encoding="utf-8")
        wait_for_generation(srv, 2)
        assert b"#123456" in get(srv, f"/{KEY}/report.html")[2]
    finally:
        srv.stop()


def test_the_round_is_the_landing_page_and_links_every_force(root: Path, tmp_path: Path) -> None:
    shutil.copytree(root / "evidence" / KEY, root / "evidence" / "copyshire-2024")
    force = root / "evidence" / "copyshire-2024" / "force.yaml"
    force.write_text(force.read_text(encoding="utf-8").replace("Testshire", "Copyshire"), encoding="utf-8")
    nat = root / "criteria" / "2024" / "national-results.yaml"
    text = nat.read_text(encoding="utf-8").replace(
        "northshire: {public-contact: Outstanding, vulnerable-people: Good}",
        "copyshire: {public-contact: Good, vulnerable-people: Requires improvement}",
    )
    nat.write_text(text, encoding="utf-8")
    srv = Server(Site(root), port=0, interval=60).start()
    try:
        code, headers, _ = get(srv, "/")
        assert code == 302 and headers["Location"] == "/2024/"
        code, headers, body = get(srv, "/2024/")
        assert code == 200 and b'src="index.html"' in body and b'<script src="/_hmic/live.js"></script>' in body
        code, headers, index = get(srv, "/2024/index.html")
        assert code == 200 and headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        assert b'href="../copyshire-2024/report.html#public-contact"' in index and f'href="../{KEY}/report.html"'.encode() in index
        assert b"<script" not in index
        code, headers, csv = get(srv, "/2024/data/grades.csv")
        assert code == 200 and headers["Content-Type"] == "text/csv; charset=utf-8" and csv.startswith(b'"force","force_name"')
        assert get(srv, "/2024/data/nothing.csv")[0] == 404
        assert get(srv, "/copyshire-2024/report.html")[0] == 200  # where the round's links lead
        b = runner.invoke(app, ["build", "--root", str(root), "--out", str(tmp_path / "out"), "--format", "html"])
        assert b.exit_code == 0, b.output
        assert index == (tmp_path / "out" / "2024" / "index.html").read_bytes()  # the page hmic build writes
    finally:
        srv.stop()


def test_several_frameworks_are_listed(root: Path) -> None:
    shutil.copytree(root / "criteria" / "2024", root / "criteria" / "other-2024")
    shutil.copytree(root / "evidence" / KEY, root / "evidence" / "othershire-2024")
    force = root / "evidence" / "othershire-2024" / "force.yaml"
    force.write_text(force.read_text(encoding="utf-8").replace('framework: "2024"', 'framework: "other-2024"'), encoding="utf-8")
    srv = Server(Site(root), port=0, interval=60).start()
    try:
        code, _, body = get(srv, "/")
        assert code == 200 and b'href="/2024/"' in body and b'href="/other-2024/"' in body and f'href="/{KEY}/"'.encode() in body
    finally:
        srv.stop()


def test_cli_refuses_an_unknown_force_and_a_busy_port(root: Path) -> None:
    r = runner.invoke(app, ["serve", "nowhere-2024", "--root", str(root)])
    assert r.exit_code == 1
    assert "error: no evidence folder for force 'nowhere-2024'; available: testshire-2024" in r.output
    with socket.socket() as busy:
        busy.bind((HOST, 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = runner.invoke(app, ["serve", KEY, "--root", str(root), "--port", str(port)])
    assert r.exit_code == 2
    assert f"error: cannot listen on 127.0.0.1:{port}" in r.output and "--port 0" in r.output
