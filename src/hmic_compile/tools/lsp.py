"""`hmic lsp`: a language server on standard input and output, so that hmic's own diagnostics appear in the
editor as a file is typed, with quick fixes for every "did you mean", hovers on criteria and evidence ids,
go to definition of an evidence id, and completion of evidence and criterion ids (docs/editor.md).

Built on pygls, imported only by this command. The project is checked whole, with the open documents'
unsaved text read in place of their files, 200 ms after the last change.
"""

from __future__ import annotations

import asyncio
import gc
import re
from pathlib import Path
from typing import Any

from lsprotocol import types as t
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from .. import __version__
from ..diagnostics import Diagnostic, HmicError
from ..inputs.loader import Document, load, parse, relpath
from .lsp_index import Checked, EvidenceItem, check, fix, items_of, project_root
from .lsp_text import Span, from_utf16, lines_of, list_context, node_at, quoted, span_at

DEBOUNCE = 0.2  # seconds after the last change before the project is checked again
_WORD_BEFORE = re.compile(r"[\w-]*$")


def _path(uri: str) -> Path | None:
    fs = to_fs_path(uri)
    return Path(fs) if fs else None


class HmicLanguageServer(LanguageServer):
    """The state between messages: each project's last check, its pending re-check, and what was published."""

    def __init__(self) -> None:
        super().__init__("hmic", __version__, text_document_sync_kind=t.TextDocumentSyncKind.Full)
        self.pending: dict[Path, asyncio.Task[None]] = {}
        self.checked: dict[Path, Checked] = {}
        self.published: dict[Path, set[str]] = {}
        self.remembered: dict[Path, dict[str, dict[str, EvidenceItem]]] = {}  # root -> file -> its items, when it last parsed

    # -- documents --

    def open_documents(self, root: Path) -> dict[Path, tuple[str, str]]:
        """The open documents of a project: resolved path -> (uri, text)."""
        out = {}
        for uri, doc in self.workspace.text_documents.items():
            p = _path(uri)
            if p is not None and project_root(p) == root:
                out[p.resolve()] = (uri, doc.source)
        return out

    def text_of(self, root: Path, rel: str) -> str:
        """A file's text as the editor has it, or as it is on disk."""
        p = (root / rel).resolve()
        opened = self.open_documents(root).get(p)
        if opened:
            return opened[1]
        try:
            return p.read_text(encoding="utf-8", errors="replace") if p.is_file() and p.stat().st_size <= 5 << 20 else ""
        except OSError:
            return ""

    # -- checking, a moment after the last change --

    def schedule(self, uri: str, delay: float) -> None:
        p = _path(uri)
        root = project_root(p) if p else None
        if root is None:
            return
        earlier = self.pending.pop(root, None)
        if earlier is not None:
            earlier.cancel()  # typed again: check once, when the typing stops
        self.pending[root] = asyncio.ensure_future(self._check_later(root, delay))

    async def _check_later(self, root: Path, delay: float) -> None:
        await asyncio.sleep(delay)
        overrides = {p: text for p, (_, text) in self.open_documents(root).items()}
        loop = asyncio.get_running_loop()
        checked = await loop.run_in_executor(None, check, root, overrides)  # in a thread: hovers stay answered meanwhile
        self.checked[root] = checked
        self.remember(root, checked)
        self.publish(root, checked)

    def remember(self, root: Path, checked: Checked) -> None:
        """Each file's evidence items as of the last time it parsed: a list half typed (`[a, b`) does not
        parse, and completion must still offer that file's ids."""
        known = self.remembered.setdefault(root, {})
        for fo in checked.project.forces.values():
            for role in fo.broken.keys() | fo.docs.keys():
                doc = fo.docs.get(role)
                if doc is not None and role.startswith("area:"):
                    known[doc.rel] = items_of(doc)
                elif doc is None and role.startswith("area:"):  # never seen parsed in the editor: as it is on disk
                    rel = f"evidence/{fo.key}/{role.removeprefix('area:')}.yaml"
                    if rel not in known:
                        try:
                            known[rel] = items_of(load(root / rel, root))
                        except HmicError:
                            known[rel] = {}

    def remembered_items(self, root: Path, rel: str) -> dict[str, EvidenceItem]:
        folder = rel.rsplit("/", 1)[0] + "/"
        return {i: it for file, items in self.remembered.get(root, {}).items() if file.startswith(folder) for i, it in items.items()}

    def current(self, root: Path) -> Checked:
        if root not in self.checked:  # asked before the first check finished
            self.checked[root] = check(root, {p: text for p, (_, text) in self.open_documents(root).items()})
            self.remember(root, self.checked[root])
        return self.checked[root]

    def publish(self, root: Path, checked: Checked) -> None:
        opened = self.open_documents(root)
        by_file = checked.by_file()
        uris: set[str] = set()
        targets = {relpath(p, root): uri for p, (uri, _) in opened.items()}  # every open document, problems or none
        for rel in by_file:
            targets.setdefault(rel, from_fs_path(str(root / rel)) or "")
        for rel, uri in sorted(targets.items()):
            lines = lines_of(self.text_of(root, rel))
            diags = [_diagnostic(d, lines) for d in by_file.get(rel, [])]
            self.text_document_publish_diagnostics(t.PublishDiagnosticsParams(uri=uri, diagnostics=diags))
            uris.add(uri)
        for uri in sorted(self.published.get(root, set()) - uris):  # fixed since: clear them
            self.text_document_publish_diagnostics(t.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        self.published[root] = uris

    # -- what the cursor is on --

    def at(self, uri: str, pos: t.Position) -> tuple[Checked, str, tuple, str, Span, list[str]] | None:
        """The project, the file, and the value under the cursor with its path in the file's data."""
        p = _path(uri)
        root = project_root(p) if p else None
        if p is None or root is None:
            return None
        rel = relpath(p, root)
        text = self.workspace.get_text_document(uri).source
        lines = lines_of(text)
        try:
            doc: Document = parse(text.removeprefix("\ufeff"), rel)
        except HmicError:
            return None  # not parseable as it stands: nothing to point at
        char = from_utf16(lines[pos.line], pos.character) if pos.line < len(lines) else 0
        found = node_at(doc, lines, pos.line, char)
        if found is None:
            return None
        path, value = found
        ln, col = doc.locs[path]
        return self.current(root), rel, path, value, span_at(lines, ln, col, [value]), lines


def _range(span: Span, lines: list[str]) -> t.Range:
    r = span.lsp(lines)
    return t.Range(start=t.Position(**r["start"]), end=t.Position(**r["end"]))


def _diagnostic(d: Diagnostic, lines: list[str]) -> t.Diagnostic:
    span = span_at(lines, d.loc.line, d.loc.col, quoted(d.message))
    meant = fix(d)
    return t.Diagnostic(
        range=_range(span, lines),
        severity=t.DiagnosticSeverity.Error if d.is_error else t.DiagnosticSeverity.Warning,
        code=d.code,
        source="hmic",
        message=d.message + (f"; {d.hint}" if d.hint else ""),
        data={"fix": meant} if meant else None,
    )


server = HmicLanguageServer()


@server.feature(t.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: HmicLanguageServer, params: t.DidOpenTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, 0)


@server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: HmicLanguageServer, params: t.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, DEBOUNCE)


@server.feature(t.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: HmicLanguageServer, params: t.DidSaveTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, 0)


@server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: HmicLanguageServer, params: t.DidCloseTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, 0)  # the file on disk counts again


@server.feature(t.TEXT_DOCUMENT_CODE_ACTION, t.CodeActionOptions(code_action_kinds=[t.CodeActionKind.QuickFix]))
def code_action(ls: HmicLanguageServer, params: t.CodeActionParams) -> list[t.CodeAction]:
    actions = []
    for d in params.context.diagnostics:
        data: Any = d.data
        meant = data.get("fix") if isinstance(data, dict) else None
        if d.source != "hmic" or not meant:
            continue
        edit = t.WorkspaceEdit(changes={params.text_document.uri: [t.TextEdit(range=d.range, new_text=meant)]})
        actions.append(
            t.CodeAction(title=f"Change to '{meant}'", kind=t.CodeActionKind.QuickFix, diagnostics=[d], edit=edit, is_preferred=True)
        )
    return actions


@server.feature(t.TEXT_DOCUMENT_HOVER)
def hover(ls: HmicLanguageServer, params: t.HoverParams) -> t.Hover | None:
    found = ls.at(params.text_document.uri, params.position)
    if found is None:
        return None
    checked, rel, path, value, span, lines = found
    text = checked.hover(rel, path, value)
    return t.Hover(contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value=text), range=_range(span, lines)) if text else None


@server.feature(t.TEXT_DOCUMENT_DEFINITION)
def definition(ls: HmicLanguageServer, params: t.DefinitionParams) -> t.Location | None:
    found = ls.at(params.text_document.uri, params.position)
    if found is None:
        return None
    checked, rel, path, value, _, _ = found
    place = checked.definition(rel, path, value)
    if place is None:
        return None
    lines = lines_of(ls.text_of(checked.root, place.rel))
    target = span_at(lines, place.loc.line, place.loc.col, [value])
    return t.Location(uri=from_fs_path(str(checked.root / place.rel)) or "", range=_range(target, lines))


@server.feature(t.TEXT_DOCUMENT_COMPLETION, t.CompletionOptions(trigger_characters=["[", ",", " "]))
def completion(ls: HmicLanguageServer, params: t.CompletionParams) -> t.CompletionList:
    empty = t.CompletionList(is_incomplete=False, items=[])
    uri, pos = params.text_document.uri, params.position
    p = _path(uri)
    root = project_root(p) if p else None
    if p is None or root is None:
        return empty
    lines = lines_of(ls.workspace.get_text_document(uri).source)
    if pos.line >= len(lines):
        return empty
    char = from_utf16(lines[pos.line], pos.character)
    context = list_context(lines, pos.line, char)
    if context is None:
        return empty
    typed = _WORD_BEFORE.search(lines[pos.line][:char])
    start = char - len(typed.group()) if typed else char
    replace = _range(Span(pos.line, start, char), lines)
    items = [
        t.CompletionItem(
            label=label,
            kind=t.CompletionItemKind.Reference if context == "evidence" else t.CompletionItemKind.EnumMember,
            detail=detail,
            documentation=t.MarkupContent(kind=t.MarkupKind.Markdown, value=doc),
            text_edit=t.TextEdit(range=replace, new_text=label),
        )
        for label, detail, doc in ls.current(root).completions(relpath(p, root), context, ls.remembered_items(root, relpath(p, root)))
    ]
    return t.CompletionList(is_incomplete=False, items=items)


def serve_stdio() -> None:
    """Speak LSP on stdin and stdout until the editor says exit."""
    gc.enable()  # an editor's session runs for hours: the command line turned garbage collection off (__main__.py)
    server.start_io()
