"""`hmic serve`: rebuild on save and show the round and its reports, or what is wrong with the input, in a browser on this machine."""

from __future__ import annotations

import gc
import html
import json
import os
import threading
import time
import traceback
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import jinja2
from msgspec import Struct, field

from ..diagnostics import Diagnostic, HmicError, Loc, summary
from ..inputs.environment import parse_cache
from ..inputs.project import Project
from ..report.build import BuildOptions, build_force
from ..report.render import make_environment
from ..report.round_record import force_record
from ..report.site import round_files
from ..report.view import build_report
from .serve_http import HOST, TIMEOUT_SECONDS, LoopbackServer, host_allowed, safe_header
from .serve_pages import LIVE_JS, diagnostics_page, html_page, wrapper
from .serve_push import EVENTS_PATH, Changes, Loaded, changed_paths, forces_changed, stream, watch

HTML = "text/html; charset=utf-8"
CONTENT_TYPES = {"html": HTML, "md": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8", "json": "application/json"}
WATCHED = ("criteria", "evidence", "templates")
SETTLE_SECONDS = 0.02  # how long files must stand still before they are read

# The report keeps its own Content-Security-Policy (no scripts). The live reload lives in the wrapper
# page around it, so the report served is byte for byte the one `hmic build` writes.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
WRAPPER_CSP = "default-src 'none'; script-src 'self'; connect-src 'self'; frame-src 'self'; style-src 'unsafe-inline'"


class Response(Struct):
    status: int
    content_type: str
    body: bytes
    csp: str | None = REPORT_CSP
    headers: dict[str, str] = field(default_factory=dict)


def concerns(d: Diagnostic, key: str, framework: str | None) -> bool:
    """Whether a problem stands in the way of force `key`'s report: one in its own folder or its framework's
    (any framework's when the force could not be read, so its framework is not known), or one that belongs
    to no force or framework (a missing folder, a template)."""
    path = d.loc.path
    if path.startswith("evidence/"):
        return path == f"evidence/{key}" or path.startswith(f"evidence/{key}/")
    if path.startswith("criteria/"):
        return framework is None or path == f"criteria/{framework}" or path.startswith(f"criteria/{framework}/")
    return True


def round_concerns(d: Diagnostic, key: str, project: Project) -> bool:
    """Whether a problem stands in the way of framework `key`'s round: one of the framework, of any of its forces
    (or of a force that could not be read, whose framework is not known), or of no force or framework."""
    if d.loc.path.startswith("evidence/"):
        fo = project.forces.get(d.loc.path.split("/")[1])
        return fo is None or fo.framework_key == key
    return concerns(d, "", key)


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
        self.changes = Changes()  # what the pages' event streams wait on (serve_push.py)
        self._loaded = Loaded(root, force, parse_cache())  # re-read a force at a time
        self._env: jinja2.Environment | None = None  # one for every rebuild, until a template file changes
        self._template_files: tuple[tuple[str, int, int], ...] = ()

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

    def refresh(self, changed: object = None) -> bool:
        """Re-read the project if anything changed (a file event's paths are only a hint); True when it did."""
        sig = self.signature()
        if sig == self._signature:
            return False
        # An editor may still be writing (a truncated file looks empty): read only once the files
        # have stood still for a moment, so a save in progress never shows as an error.
        time.sleep(SETTLE_SECONDS)
        if self.signature() != sig:
            return False
        # Only the forces whose files changed are read again, when nothing else did (serve_push.Loaded).
        names = forces_changed(self.root, changed_paths(self._signature, sig)) if self._signature else None
        partial = names is not None and self._loaded.reload(names)
        if not partial:
            self._loaded.load_all()
        template_files = tuple(e for e in sig if not any(e[0].startswith(f"{self.root / top}{os.sep}") for top in ("criteria", "evidence")))
        with self._lock:
            self._signature = sig
            self._project, self._diags, self._rounds = self._loaded.project(), self._loaded.diagnostics(), {}  # a round shows every force
            self._pages = {k: v for k, v in self._pages.items() if partial and names is not None and k not in names}
            if template_files != self._template_files:
                self._env, self._template_files = None, template_files
            self.generation += 1
            self.rebuilt = time.strftime("%H:%M:%S")
        self.changes.bump(self.generation)
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
        """The force's report, or its problems: another force's errors never hide it."""
        with self._lock:
            if key in self._pages:
                return self._pages[key]
            project, diags = self._project, self._diags
            fo = project.forces.get(key) if project is not None else None
            framework = project.framework_for(fo).key if project is not None and fo is not None else None
            own = [d for d in diags if concerns(d, key, framework)]
            if project is None or fo is None or any(d.is_error for d in own):
                page = diagnostics_page(key, own or [Diagnostic(Loc(f"evidence/{key}"), "E204", f"no force '{key}' could be read")])
            else:
                try:
                    if self._env is None:
                        self._env = make_environment(self.templates, self.root)
                    page = build_force(project, fo, self._env, BuildOptions(formats=("html",)))["report.html"]
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

    def read_all(self, keys: list[str]) -> bool:
        """Whether every force folder of `keys` was read as a force."""
        with self._lock:
            return self._project is not None and set(keys) <= set(self._project.forces)

    def round(self, key: str) -> dict[str, bytes]:
        """Every file of framework `key`'s round, as `hmic build` writes it (its pages in HTML, linking to the reports)."""
        with self._lock:
            if key in self._rounds:
                return self._rounds[key]
            project, diags = self._project, self._diags
            own = [d for d in diags if project is None or round_concerns(d, key, project)]
            if project is None or any(d.is_error for d in own) or key not in project.frameworks:
                files = {"index.html": diagnostics_page(key, own or [Diagnostic(Loc(f"criteria/{key}"), "E203", f"no framework '{key}'")])}
            else:
                try:
                    forces = sorted((fo for fo in project.forces.values() if fo.framework_key == key), key=lambda fo: fo.key)
                    records = [force_record(fo, project.framework_for(fo), build_report(project, fo)) for fo in forces]
                    if self._env is None:
                        self._env = make_environment(self.templates, self.root)
                    files = round_files(project.frameworks[key], records, self._env, BuildOptions(formats=("html",)))
                except HmicError as e:
                    files = {"index.html": diagnostics_page(key, e.diagnostics)}
            self._rounds[key] = files
            return files

    def route(self, path: str) -> Response:
        parts = [unquote(p) for p in urlsplit(path).path.split("/") if p]
        keys, rounds = self.keys(), self.rounds()
        if not parts:
            # The round is the landing page when it holds every force folder; otherwise each is listed (one that
            # could not be read belongs to no round, and its page says why).
            if len(keys) == 1 and not rounds or len(rounds) == 1 and self.read_all(keys):
                return Response(HTTPStatus.FOUND, "text/plain", b"", None, {"Location": f"/{quote((rounds or keys)[0], safe='')}/"})
            items = "".join(f'<li><a href="/{html.escape(quote(k, safe=""))}/">{html.escape(k)}</a></li>' for k in [*rounds, *keys])
            return Response(HTTPStatus.OK, HTML, html_page("hmic serve", f"<main><h1>hmic serve</h1><ul>{items}</ul></main>"))
        if parts[0] in rounds and parts[0] not in keys:
            return self._round_route(path, parts)
        if parts == ["_hmic", "status"]:
            return Response(HTTPStatus.OK, "application/json", json.dumps(self.status()).encode("utf-8"), None)
        if parts == ["_hmic", "live.js"]:
            return Response(HTTPStatus.OK, "text/javascript; charset=utf-8", LIVE_JS.encode("utf-8"), None)
        if parts[0] in keys and len(parts) == 1:
            if not path.split("?")[0].endswith("/"):
                return Response(HTTPStatus.MOVED_PERMANENTLY, "text/plain", b"", None, {"Location": f"/{quote(parts[0], safe='')}/"})
            return Response(HTTPStatus.OK, HTML, wrapper(parts[0]), WRAPPER_CSP)
        if parts[0] in keys and parts[1:] == ["report.html"]:
            return Response(HTTPStatus.OK, HTML, self.report(parts[0]))
        return Response(
            HTTPStatus.NOT_FOUND, HTML, html_page("not found", '<main><h1>Not found</h1><p><a href="/">hmic serve</a></p></main>')
        )

    def _round_route(self, path: str, parts: list[str]) -> Response:
        if len(parts) == 1:
            if not path.split("?")[0].endswith("/"):
                return Response(HTTPStatus.MOVED_PERMANENTLY, "text/plain", b"", None, {"Location": f"/{quote(parts[0], safe='')}/"})
            return Response(HTTPStatus.OK, HTML, wrapper(parts[0], "index.html", "round"), WRAPPER_CSP)
        files = self.round(parts[0])
        name = "/".join(parts[1:])
        if name not in files:
            return Response(
                HTTPStatus.NOT_FOUND, HTML, html_page("not found", '<main><h1>Not found</h1><p><a href="/">hmic serve</a></p></main>')
            )
        return Response(HTTPStatus.OK, CONTENT_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream"), files[name])


class _Handler(BaseHTTPRequestHandler):
    site: Site
    server_version = "hmic-serve"
    timeout = TIMEOUT_SECONDS  # a connection idle this long is closed, so a silent client cannot hold a slot

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        self._respond(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(send_body=False)

    def _respond(self, send_body: bool) -> None:
        port = self.server.port if isinstance(self.server, LoopbackServer) else 0
        if not host_allowed(self, port):  # a page of another site, reaching this server through its own name
            r = Response(HTTPStatus.MISDIRECTED_REQUEST, "text/plain; charset=utf-8", b"hmic serve answers only 127.0.0.1 and localhost\n")
            self._send(r, send_body)
            return
        if send_body and urlsplit(self.path).path == EVENTS_PATH:  # the page's live updates (serve_push.stream)
            stream(self, self.site.changes, self.site.status)
            return
        try:
            r = self.site.route(self.path)
        except Exception:  # a bug in hmic: keep serving, and show it rather than a blank page  # noqa: BLE001
            text = traceback.format_exc()
            r = Response(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                HTML,
                html_page("hmic bug", f"<main><h1>hmic failed (a bug, please report it)</h1><pre>{html.escape(text)}</pre></main>"),
            )
        self._send(r, send_body)

    def _send(self, r: Response, send_body: bool) -> None:
        self.send_response(r.status)
        self.send_header("Content-Type", r.content_type)
        self.send_header("Content-Length", str(len(r.body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        if r.csp:
            self.send_header("Content-Security-Policy", r.csp)
        for k, v in r.headers.items():
            self.send_header(k, safe_header(v))
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
        self.httpd = LoopbackServer(port, handler)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        port = self.httpd.server_address[1]
        return f"http://{HOST}:{port}/"

    def _watch(self) -> None:
        watch(self.site.watched, self.site.refresh, self._stop, self.interval)

    def start(self) -> Server:
        gc.enable()  # a server runs for hours: the command line turned garbage collection off (__main__.py)
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
        self.site.changes.stop()  # the event streams end now
        self.httpd.shutdown()
        self.httpd.server_close()
        for t in self._threads:
            t.join(timeout=5)
