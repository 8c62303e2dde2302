"""`hmic serve`: rebuild on save and show the round and its reports, or what is wrong with the input, in a browser on this machine."""

from __future__ import annotations

import html
import json
import os
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..checks.project import check_project
from ..diagnostics import Diagnostic, HmicError, Loc, summary
from ..inputs.project import Project, load_project
from ..report.build import BuildOptions, build_force
from ..report.render import make_environment
from ..report.round_record import force_record
from ..report.site import round_files
from ..report.view import build_report

HOST = "127.0.0.1"
HTML = "text/html; charset=utf-8"
CONTENT_TYPES = {"html": HTML, "md": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8", "json": "application/json"}
WATCHED = ("criteria", "evidence", "templates")
SETTLE_SECONDS = 0.1  # how long files must stand still before they are read

# The report keeps its own Content-Security-Policy (no scripts). The live reload lives in the wrapper
# page around it, so the report served is byte for byte the one `hmic build` writes.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
WRAPPER_CSP = "default-src 'none'; script-src 'self'; connect-src 'self'; frame-src 'self'; style-src 'unsafe-inline'"

LIVE_JS = """\
// hmic serve: reload the report when the inputs change, keeping the reader's place.
(function () {
  var frame = document.getElementById("report");
  var status = document.getElementById("status");
  var list = document.getElementById("diagnostics");
  var generation = null;
  function show(data) {
    status.textContent = data.summary + " \\u00b7 rebuilt " + data.rebuilt;
    list.textContent = "";
    data.diagnostics.forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line;
      list.appendChild(li);
    });
  }
  function reload(g) {
    var x = 0, y = 0;
    try { x = frame.contentWindow.scrollX; y = frame.contentWindow.scrollY; } catch (e) {}
    frame.addEventListener("load", function restore() {
      frame.removeEventListener("load", restore);
      try { frame.contentWindow.scrollTo(x, y); } catch (e) {}
    });
    // The page the reader is on (the round's index, or a report it links to), reloaded in place.
    try { frame.contentWindow.location.reload(); } catch (e) { frame.src = frame.dataset.src + "?g=" + g; }
  }
  function poll() {
    fetch("/_hmic/status", {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (data) {
      if (generation !== null && data.generation !== generation) { reload(data.generation); }
      generation = data.generation;
      show(data);
      setTimeout(poll, 700);
    }).catch(function () {
      status.textContent = "hmic serve has stopped; start it again and reload this page";
      setTimeout(poll, 3000);
    });
  }
  poll();
})();
"""

PAGE_STYLE = """
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; display: flex; flex-direction: column; height: 100vh; }
header { padding: 4px 10px; background: #1d3557; color: #fff; display: flex; gap: 1em; align-items: baseline; flex-wrap: wrap; }
header a { color: #fff; }
#diagnostics { margin: 0; padding: 0 10px 0 28px; max-height: 25vh; overflow: auto; background: #fff8e1; font: 12px/1.4 monospace; }
#diagnostics:empty { display: none; }
iframe { flex: 1; border: 0; width: 100%; }
main { padding: 1em 2em; }
pre { white-space: pre-wrap; }
"""


def _page(title: str, body: str) -> bytes:
    return (
        f'<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
        f"<style>{PAGE_STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    ).encode()


@dataclass
class Response:
    status: int
    content_type: str
    body: bytes
    csp: str | None = REPORT_CSP
    headers: dict[str, str] = field(default_factory=dict)


def diagnostics_page(key: str, diags: list[Diagnostic]) -> bytes:
    """The input's problems, escaped, in place of the report."""
    lines = "\n".join(html.escape(d.text()) for d in diags)
    return _page(
        f"{key}: problems in the input",
        f"<main>\n<h1>{html.escape(key)}: the report cannot be built</h1>\n"
        f"<p>{html.escape(summary(diags))}. Fix them and save: this page updates by itself.</p>\n<pre>{lines}</pre>\n</main>",
    )


class Site:
    """The project as last read, and its reports, rebuilt whenever a watched file changes."""

    def __init__(self, root: Path, force: str | None = None, templates: Path | None = None, log: Callable[[str], None] = lambda line: None):
        self.root, self.force, self.templates, self.log = root, force, templates, log
        self.generation = 0
        self.rebuilt = ""
        self._signature: tuple[tuple[str, int, int], ...] = ()
        self._lock = threading.Lock()
        self._project: Project | None = None
        self._diags: list[Diagnostic] = []
        self._pages: dict[str, bytes] = {}
        self._rounds: dict[str, dict[str, bytes]] = {}

    # -- watching --

    def watched(self) -> list[Path]:
        folders = [self.root / name for name in WATCHED]
        if self.templates is not None:
            folders.append(self.templates)
        return folders

    def signature(self) -> tuple[tuple[str, int, int], ...]:
        """Every watched file with its modification time and size: any save, addition or removal changes it."""
        out = []
        for folder in self.watched():
            for dirpath, dirnames, filenames in os.walk(folder):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if name.startswith(".") or name.endswith("~"):
                        continue  # editors' swap and backup files
                    p = os.path.join(dirpath, name)
                    try:
                        st = os.stat(p)
                    except OSError:
                        continue
                    out.append((p, st.st_mtime_ns, st.st_size))
        return tuple(out)

    def refresh(self) -> bool:
        """Re-read the project if anything changed; True when it did."""
        sig = self.signature()
        if sig == self._signature:
            return False
        # An editor may still be writing (a truncated file looks empty): read only once the files
        # have stood still for a moment, so a save in progress never shows as an error.
        time.sleep(SETTLE_SECONDS)
        if self.signature() != sig:
            return False
        project, diags = load_project(self.root, [self.force] if self.force else None)
        check_project(project, diags)
        with self._lock:
            self._signature = sig
            self._project, self._diags, self._pages, self._rounds = project, diags.sorted(), {}, {}
            self.generation += 1
            self.rebuilt = time.strftime("%H:%M:%S")
        errors = sum(d.is_error for d in self._diags)
        self.log(
            f"read the project ({summary(self._diags)})"
            if self.generation == 1
            else f"changed: rebuilt ({summary(self._diags)})" + (": the page shows them" if errors else "")
        )
        return True

    # -- what is shown --

    def keys(self) -> list[str]:
        if self.force:
            return [self.force]
        ev = self.root / "evidence"
        return sorted(p.name for p in ev.iterdir() if p.is_dir()) if ev.is_dir() else []

    def status(self) -> dict[str, object]:
        with self._lock:
            return {
                "generation": self.generation,
                "rebuilt": self.rebuilt,
                "summary": summary(self._diags),
                "diagnostics": [d.text() for d in self._diags],
            }

    def report(self, key: str) -> bytes:
        with self._lock:
            if key in self._pages:
                return self._pages[key]
            project, diags = self._project, self._diags
            if project is None or any(d.is_error for d in diags) or key not in project.forces:
                shown = diags or [Diagnostic(Loc(f"evidence/{key}"), "E204", f"no force '{key}' could be read")]
                page = diagnostics_page(key, shown)
            else:
                try:
                    env = make_environment(self.templates, self.root)
                    page = build_force(project, project.forces[key], env, BuildOptions(formats=("html",)))["report.html"]
                except HmicError as e:
                    page = diagnostics_page(key, e.diagnostics)
            self._pages[key] = page
            return page

    def rounds(self) -> list[str]:
        """The frameworks whose round is served: those of the forces read (none when one force was asked for)."""
        with self._lock:
            project = self._project
        if self.force or project is None:
            return []
        return sorted({fo.framework_key for fo in project.forces.values()})

    def round(self, key: str) -> dict[str, bytes]:
        """Every file of framework `key`'s round, as `hmic build` writes it (its pages in HTML, linking to the reports)."""
        with self._lock:
            if key in self._rounds:
                return self._rounds[key]
            project, diags = self._project, self._diags
            if project is None or any(d.is_error for d in diags) or key not in project.frameworks:
                files = {
                    "index.html": diagnostics_page(key, diags or [Diagnostic(Loc(f"criteria/{key}"), "E203", f"no framework '{key}'")])
                }
            else:
                try:
                    forces = sorted((fo for fo in project.forces.values() if fo.framework_key == key), key=lambda fo: fo.key)
                    records = [force_record(fo, build_report(project, fo)) for fo in forces]
                    env = make_environment(self.templates, self.root)
                    files = round_files(project.frameworks[key], records, env, BuildOptions(formats=("html",)))
                except HmicError as e:
                    files = {"index.html": diagnostics_page(key, e.diagnostics)}
            self._rounds[key] = files
            return files

    def route(self, path: str) -> Response:
        parts = [unquote(p) for p in urlsplit(path).path.split("/") if p]
        keys, rounds = self.keys(), self.rounds()
        if not parts:
            if len(keys) == 1 and not rounds or len(rounds) == 1:  # the round is the landing page
                return Response(HTTPStatus.FOUND, "text/plain", b"", None, {"Location": f"/{(rounds or keys)[0]}/"})
            items = "".join(f'<li><a href="/{html.escape(k)}/">{html.escape(k)}</a></li>' for k in [*rounds, *keys])
            return Response(HTTPStatus.OK, HTML, _page("hmic serve", f"<main><h1>hmic serve</h1><ul>{items}</ul></main>"))
        if parts[0] in rounds and parts[0] not in keys:
            return self._round_route(path, parts)
        if parts == ["_hmic", "status"]:
            return Response(HTTPStatus.OK, "application/json", json.dumps(self.status()).encode("utf-8"), None)
        if parts == ["_hmic", "live.js"]:
            return Response(HTTPStatus.OK, "text/javascript; charset=utf-8", LIVE_JS.encode("utf-8"), None)
        if parts[0] in keys and len(parts) == 1:
            if not path.split("?")[0].endswith("/"):
                return Response(HTTPStatus.MOVED_PERMANENTLY, "text/plain", b"", None, {"Location": f"/{parts[0]}/"})
            return Response(HTTPStatus.OK, HTML, wrapper(parts[0]), WRAPPER_CSP)
        if parts[0] in keys and parts[1:] == ["report.html"]:
            return Response(HTTPStatus.OK, HTML, self.report(parts[0]))
        return Response(HTTPStatus.NOT_FOUND, HTML, _page("not found", '<main><h1>Not found</h1><p><a href="/">hmic serve</a></p></main>'))

    def _round_route(self, path: str, parts: list[str]) -> Response:
        if len(parts) == 1:
            if not path.split("?")[0].endswith("/"):
                return Response(HTTPStatus.MOVED_PERMANENTLY, "text/plain", b"", None, {"Location": f"/{parts[0]}/"})
            return Response(HTTPStatus.OK, HTML, wrapper(parts[0], "index.html", "round"), WRAPPER_CSP)
        files = self.round(parts[0])
        name = "/".join(parts[1:])
        if name not in files:
            return Response(
                HTTPStatus.NOT_FOUND, HTML, _page("not found", '<main><h1>Not found</h1><p><a href="/">hmic serve</a></p></main>')
            )
        return Response(HTTPStatus.OK, CONTENT_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream"), files[name])


def wrapper(key: str, page: str = "report.html", what: str = "report") -> bytes:
    k = html.escape(key)
    body = (
        f'<header><strong>hmic serve</strong><span>{k}</span><span id="status">starting…</span>'
        f'<a href="{page}" target="_blank">open the {what} alone</a></header>\n'
        f'<ol id="diagnostics"></ol>\n'
        f'<iframe id="report" title="{k} {what}" src="{page}" data-src="{page}"></iframe>\n'
        f'<script src="/_hmic/live.js"></script>'
    )
    return _page(f"{key} — hmic serve", body)


class _Handler(BaseHTTPRequestHandler):
    site: Site
    server_version = "hmic-serve"

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        self._respond(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(send_body=False)

    def _respond(self, send_body: bool) -> None:
        try:
            r = self.site.route(self.path)
        except Exception:  # a bug in hmic: keep serving, and show it rather than a blank page  # noqa: BLE001
            text = traceback.format_exc()
            r = Response(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                HTML,
                _page("hmic bug", f"<main><h1>hmic failed (a bug, please report it)</h1><pre>{html.escape(text)}</pre></main>"),
            )
        self.send_response(r.status)
        self.send_header("Content-Type", r.content_type)
        self.send_header("Content-Length", str(len(r.body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        if r.csp:
            self.send_header("Content-Security-Policy", r.csp)
        for k, v in r.headers.items():
            self.send_header(k, v)
        self.end_headers()
        if send_body:
            self.wfile.write(r.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's signature
        pass  # one line per request would drown the rebuild messages


class Server:
    """A running `hmic serve`: the HTTP server and the watcher, each in its own thread."""

    def __init__(self, site: Site, port: int = 8000, interval: float = 0.5):
        handler = type("Handler", (_Handler,), {"site": site})
        self.site = site
        self.interval = interval
        self.httpd = ThreadingHTTPServer((HOST, port), handler)
        self.httpd.daemon_threads = True
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        port = self.httpd.server_address[1]
        return f"http://{HOST}:{port}/"

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            self.site.refresh()

    def start(self) -> Server:
        self.site.refresh()
        for target in (self.httpd.serve_forever, self._watch):
            t = threading.Thread(target=target, name=f"hmic-serve-{target.__name__}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def wait(self) -> None:
        """Block until stopped (Ctrl-C raises KeyboardInterrupt here)."""
        while not self._stop.wait(0.5):
            pass

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        for t in self._threads:
            t.join(timeout=5)
