"""A small client of the Chrome DevTools protocol for the tests: Debian's chromium, headless, driven over
--remote-debugging-pipe (no port is opened, nothing is downloaded).

The browser reads commands from its file descriptor 3 and writes answers and events to 4, each a JSON
message ended by a NUL byte. One browser serves a test module; `Page` is one tab in it.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import time
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)
TIMEOUT = 120.0  # seconds for any one answer: a page that hangs fails its test instead of the suite


class CDPError(RuntimeError):
    pass


class Browser:
    """Chromium, started with its DevTools pipe on descriptors 3 and 4 (posix_spawn: no Python code runs in the child)."""

    def __init__(self, executable: str, profile: Path, log: Path):
        to_browser_r, self._write = os.pipe()
        self._read, from_browser_w = os.pipe()
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, str(log), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
            (os.POSIX_SPAWN_DUP2, 1, 2),
            (os.POSIX_SPAWN_DUP2, to_browser_r, 3),
            (os.POSIX_SPAWN_DUP2, from_browser_w, 4),
        ]
        argv = [executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"]
        try:
            self.pid = os.posix_spawn(executable, argv, dict(os.environ), file_actions=actions, setsid=True)
        finally:
            os.close(to_browser_r)
            os.close(from_browser_w)
        self._buffer = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []
        self.log = log

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode("utf-8") + b"\0")
        while True:
            answer = self._receive()
            if answer.get("id") == self._id:
                if "error" in answer:
                    raise CDPError(f"{method}: {answer['error']}")
                return answer["result"]
            self.events.append(answer)

    def wait_for(self, method: str, session: str) -> dict[str, Any]:
        for n, e in enumerate(self.events):
            if e.get("method") == method and e.get("sessionId") == session:
                return self.events.pop(n)
        while True:
            e = self._receive()
            if e.get("method") == method and e.get("sessionId") == session:
                return e
            self.events.append(e)

    def _receive(self) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._read], [], [], max(left, 0))
            if not ready:
                raise CDPError(f"chromium did not answer within {TIMEOUT:.0f}s; its log: {self.log}")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise CDPError(f"chromium closed its DevTools pipe; its log says: {self.log.read_text(errors='replace')[-2000:]}")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def page(self) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        return Page(self, session)

    def close(self) -> None:
        with contextlib.suppress(CDPError, OSError):
            self.send("Browser.close")
        for _ in range(50):
            if os.waitpid(self.pid, os.WNOHANG) != (0, 0):
                break
            time.sleep(0.1)
        else:
            os.killpg(self.pid, signal.SIGKILL)  # its own process group (setsid): the browser and its helpers
            os.waitpid(self.pid, 0)
        os.close(self._write)
        os.close(self._read)


class Page:
    """One tab: load a file at a width, evaluate scripts in it, and see every request it made."""

    def __init__(self, browser: Browser, session: str):
        self.browser, self.session = browser, session
        self.send("Page.enable")
        self.send("Network.enable")

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.send(method, params, self.session)

    def load(self, path: Path, width: int, height: int = 900) -> list[str]:
        """Show `path` at `width` CSS pixels; the URL of every request the page made while loading."""
        self.browser.events.clear()
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        self.send("Page.navigate", {"url": path.as_uri()})
        self.browser.wait_for("Page.loadEventFired", self.session)
        return self.requests()

    def requests(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.browser.events
            if e.get("method") == "Network.requestWillBeSent" and e.get("sessionId") == self.session
        ]

    def evaluate(self, expression: str, wait: bool = False) -> Any:
        """The value of `expression` in the page (a promise awaited when `wait`). DevTools' own evaluation is not
        script the page runs, so the page's Content-Security-Policy (no scripts at all) does not stop it."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": wait})
        if "exceptionDetails" in result:
            raise CDPError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")
