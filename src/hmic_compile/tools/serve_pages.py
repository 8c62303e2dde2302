"""The pages `hmic serve` shows around a report or a round: the wrapper that reloads it in place, the input's
problems in its stead, and the script of the live reload, pushed by tools/serve_push.py (tools/serve.py serves them)."""

from __future__ import annotations

import html

from ..diagnostics import Diagnostic, summary

LIVE_JS = """\
// hmic serve: reload the page shown (the round's, or a report it links to) in place when the inputs change
// (pushed by the server: /_hmic/events), keeping the reader's place across an error page and its recovery.
(function () {
  var frame = document.getElementById("report");
  var status = document.getElementById("status");
  var list = document.getElementById("diagnostics");
  var generation = null;
  var place = null;  // the page's scroll position before a reload: an error page's is never taken for it
  function isPage() {
    try { return !frame.contentDocument.querySelector("[data-hmic-problems]"); } catch (e) { return false; }
  }
  function show(data) {
    status.textContent = data.summary + " \\u00b7 rebuilt " + data.rebuilt;
    list.textContent = "";
    data.diagnostics.forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line;
      list.appendChild(li);
    });
  }
  frame.addEventListener("load", function () {
    if (isPage() && place) {
      try { frame.contentWindow.scrollTo(place[0], place[1]); } catch (e) {}
      place = null;  // a page the reader goes to next starts at its top
    }
  });
  function reload(g) {
    if (isPage()) {
      try { place = [frame.contentWindow.scrollX, frame.contentWindow.scrollY]; } catch (e) {}
    }
    try { frame.contentWindow.location.reload(); } catch (e) { frame.src = frame.dataset.src + "?g=" + g; }
  }
  function update(data) {
    if (generation !== null && data.generation !== generation) { reload(data.generation); }
    generation = data.generation;
    show(data);
  }
  function poll() {  // without EventSource: ask now and then
    fetch("/_hmic/status", {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (data) {
      update(data);
      setTimeout(poll, 700);
    }).catch(function () {
      status.textContent = "hmic serve has stopped; start it again and reload this page";
      setTimeout(poll, 3000);
    });
  }
  function listen() {  // the server pushes each rebuild; a stream it closes is reopened by the browser
    var events = new EventSource("/_hmic/events");
    events.onmessage = function (e) { update(JSON.parse(e.data)); };
    events.onerror = function () {
      if (events.readyState === EventSource.CLOSED) {  // refused (busy): try again in a moment
        status.textContent = "hmic serve is busy or has stopped; trying again";
        setTimeout(listen, 3000);
      }
    };
  }
  if (window.EventSource) { listen(); } else { poll(); }
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


def html_page(title: str, body: str) -> bytes:
    return (
        f'<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
        f"<style>{PAGE_STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    ).encode()


def diagnostics_page(key: str, diags: list[Diagnostic]) -> bytes:
    """The input's problems, escaped, in place of the report."""
    lines = "\n".join(html.escape(d.text()) for d in diags)
    return html_page(
        f"{key}: problems in the input",
        f"<main data-hmic-problems>\n<h1>{html.escape(key)}: the report cannot be built</h1>\n"
        f"<p>{html.escape(summary(diags))}. Fix them and save: this page updates by itself.</p>\n<pre>{lines}</pre>\n</main>",
    )


def wrapper(key: str, page: str = "report.html", what: str = "report") -> bytes:
    k = html.escape(key)
    body = (
        f'<header><strong>hmic serve</strong><span>{k}</span><span id="status">starting…</span>'
        f'<a href="{page}" target="_blank">open the {what} alone</a></header>\n'
        f'<ol id="diagnostics"></ol>\n'
        f'<iframe id="report" title="{k} {what}" src="{page}" data-src="{page}"></iframe>\n'
        f'<script src="/_hmic/live.js"></script>'
    )
    return html_page(f"{key} — hmic serve", body)
