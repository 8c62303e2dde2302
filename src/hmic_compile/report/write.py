"""Write stage: a force's report files and manifest, replaced as a whole or not at all."""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostic, HmicError, Loc, json_text


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(
    *,
    version: str,
    force: str,
    inputs: list[tuple[str, str]],
    templates: Sequence[tuple[str, str]],
    outputs: dict[str, bytes],
    git_commit: str | None,
    source_date_epoch: int | None,
    draft_date: str | None = None,
) -> bytes:
    """The build's record; `draft_date` (ISO) is given for a draft build, whose every page says so."""
    data: dict[str, Any] = {
        "hmic_version": version,
        "force": force,
        "git_commit": git_commit,
        "source_date_epoch": source_date_epoch,
        "draft": draft_date is not None,
        **({"draft_date": draft_date} if draft_date else {}),
        "inputs": [{"path": p, "sha256": h} for p, h in sorted(inputs)],
        "templates": [{"path": p, "sha256": h} for p, h in sorted(templates)],
        "outputs": [{"path": name, "sha256": sha256(b)} for name, b in sorted(outputs.items())],
    }
    # I-JSON: a template file whose name is not UTF-8 is named by its escapes ('\\udcff'), never a lone surrogate.
    return (json_text(data, ascii=False) + "\n").encode("utf-8")


def write_atomic(target: Path, files: dict[str, bytes], shown: str) -> None:
    """Write `files` into a fresh sibling folder, then swap it in for `target`.

    On any failure (disk full, permissions, Ctrl-C) the previous output stays as it was and the
    temporary folder is removed.
    """
    parent = target.parent
    tmp: Path | None = None
    old: Path | None = None
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=parent))
        for name, data in sorted(files.items()):
            with open(tmp / name, "wb") as fh:
                fh.write(data)
        os.chmod(tmp, 0o755)
        if target.exists():
            old = parent / f".{target.name}.{os.getpid()}.old"
            os.rename(target, old)
        os.rename(tmp, target)
    except OSError as e:
        raise HmicError(
            [
                Diagnostic(
                    Loc(shown),
                    "E701",
                    f"cannot write the report: {e.strerror or e}",
                    hint="check that the output folder is writable and the disk has space; the previous output is unchanged",
                )
            ]
        ) from None
    finally:
        # Whatever stopped us (an error, Ctrl-C between any two steps): if the new folder is not in
        # place, the previous output goes back; temporary folders never remain.
        if old is not None and old.exists():
            if target.exists():
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(old, target)
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def recover(target: Path, pid: int) -> None:
    """After process `pid` was killed (SIGKILL: no `finally` ran) while it may have been writing `target`:
    the previous output goes back if it had been moved aside, and the half-written folder is removed."""
    old = target.parent / f".{target.name}.{pid}.old"
    try:
        if old.exists():
            if target.exists():
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(old, target)
        for tmp in target.parent.glob(f".{glob.escape(target.name)}.{pid}.*.tmp"):
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError:
        pass  # the folder cannot be read or changed: nothing there to put back
