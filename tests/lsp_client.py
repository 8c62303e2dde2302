"""A small Language Server Protocol client for the tests: a server spawned over stdio, JSON-RPC with
Content-Length framing, requests answered in order, notifications kept until asked for."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

WAIT = 60.0  # seconds: how long to wait for one answer before the test fails (never a measure of speed)


def uri(path: Path) -> str:
    return path.resolve().as_uri()


class LspClient:
    def __init__(self, command: list[str], cwd: Path, env: dict[str, str] | None = None, settings: dict[str, Any] | None = None):
        self.proc = subprocess.Popen(
            command, cwd=cwd, env={**os.environ, **(env or {})}, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.settings = settings or {}
        self._next = 0
        self._inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.notifications: list[dict[str, Any]] = []
        self.versions: dict[str, int] = {}  # the open documents
        self._stderr: list[bytes] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self._stderr.extend(self.proc.stderr or []), daemon=True).start()

    # -- the wire --

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            assert length is not None, "a message without Content-Length"
            self._inbox.put(json.loads(out.read(length)))

    def _take(self, until: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Read messages, answering the server's requests, until one satisfies `until`."""
        while True:
            try:
                m = self._inbox.get(timeout=WAIT)
            except queue.Empty:
                raise AssertionError(f"no answer from the server; its stderr:\n{self.stderr()[-4000:]}") from None
            if "method" in m and "id" in m:  # the server asks something of the client
                self._send({"id": m["id"], "result": self._answer(m["method"], m.get("params"))})
                continue
            if "method" in m:
                self.notifications.append(m)
            if until(m):
                return m

    def _answer(self, method: str, params: Any) -> Any:
        if method == "workspace/configuration":
            return [self.settings.get(item.get("section", ""), None) for item in params["items"]]
        return None  # client/registerCapability, window/workDoneProgress/create, ...

    def stderr(self) -> str:
        return b"".join(self._stderr).decode("utf-8", "replace")

    # -- the protocol --

    def request(self, method: str, params: Any) -> Any:
        self._next += 1
        rid = self._next
        self._send({"id": rid, "method": method, "params": params})
        m = self._take(lambda m: m.get("id") == rid and "method" not in m)
        assert "error" not in m, m["error"]
        return m.get("result")

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def initialize(self, root: Path) -> dict[str, Any]:
        caps = {
            "textDocument": {
                "publishDiagnostics": {"relatedInformation": True},
                "hover": {"contentFormat": ["markdown", "plaintext"]},
                "completion": {"completionItem": {"snippetSupport": False}},
                "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix"]}}},
                "synchronization": {"didSave": True},
            },
            "workspace": {"configuration": True, "workspaceFolders": True},
        }
        result = self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": uri(root),
                "capabilities": caps,
                "workspaceFolders": [{"uri": uri(root), "name": root.name}],
            },
        )
        self.notify("initialized", {})
        return result

    def open(self, path: Path, text: str | None = None, language: str = "yaml") -> str:
        """Open the document (or, when it is open already, change its text to `text`)."""
        u = uri(path)
        body = path.read_text(encoding="utf-8") if text is None else text
        if u in self.versions:
            self.change(u, body)
        else:
            self.versions[u] = 1
            self.notify("textDocument/didOpen", {"textDocument": {"uri": u, "languageId": language, "version": 1, "text": body}})
        return u

    def change(self, u: str, text: str) -> None:
        self.versions[u] += 1
        params = {"textDocument": {"uri": u, "version": self.versions[u]}, "contentChanges": [{"text": text}]}
        self.notify("textDocument/didChange", params)

    def diagnostics(self, u: str, where: Callable[[list[dict[str, Any]]], bool] = lambda ds: True) -> list[dict[str, Any]]:
        """The next diagnostics published for `u` that satisfy `where` (earlier ones already received count)."""
        for n in self.notifications:
            if n["method"] == "textDocument/publishDiagnostics" and n["params"]["uri"] == u and where(n["params"]["diagnostics"]):
                self.notifications.remove(n)
                return n["params"]["diagnostics"]
        m = self._take(
            lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == u and where(m["params"]["diagnostics"])
        )
        self.notifications.remove(m)
        return m["params"]["diagnostics"]

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self.request("shutdown", None)
                self.notify("exit", None)
                self.proc.wait(timeout=WAIT)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()


def position_of(text: str, needle: str, offset: int = 0) -> dict[str, int]:
    """The LSP position (0-based line and UTF-16 character) of `needle` in `text`, plus `offset` characters."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    start = text.rfind("\n", 0, index) + 1
    return {"line": line, "character": len(text[start:index].encode("utf-16-le")) // 2}
