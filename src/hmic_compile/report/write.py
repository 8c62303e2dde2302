"""Write stage: a force's report files (or a round's pages and data) and manifest, replaced as a whole or not at all."""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..diagnostics import CommandError, Diagnostic, HmicError, Loc, json_text
from ..inputs.files import create_exclusive, inside, within


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
    numbered: int | None = None,
) -> bytes:
    """The build's record; `draft_date` (ISO) is given for a draft build, whose every page says so, and
    `numbered` (how many paragraphs were numbered) for a --numbered build, whose paragraphs are cited by number."""
    data: dict[str, Any] = {
        "hmic_version": version,
        "force": force,
        "git_commit": git_commit,
        "source_date_epoch": source_date_epoch,
        "draft": draft_date is not None,
        **({"draft_date": draft_date} if draft_date else {}),
        **({"numbered": {"scheme": "area.section.n", "paragraphs": numbered}} if numbered is not None else {}),
        "inputs": [{"path": p, "sha256": h} for p, h in sorted(inputs)],
        "templates": [{"path": p, "sha256": h} for p, h in sorted(templates)],
        "outputs": [{"path": name, "sha256": sha256(b)} for name, b in sorted(outputs.items())],
    }
    # I-JSON: a template file whose name is not UTF-8 is named by its escapes ('\\udcff'), never a lone surrogate.
    return (json_text(data, ascii=False) + "\n").encode("utf-8")


def refuse_unsafe_out(out: Path, root: Path, inputs: list[Path], keys: list[str]) -> None:
    """Refuse (a usage error) an output folder where a build would replace what it reads.

    `out` may not be the project folder, nor lie inside one of `inputs` (criteria/, evidence/, the
    templates folders); no force's folder `out/<key>` may be or hold the project or an input (as
    `--out ..` would for a project folder named like a force); and an `out` inside the project may not
    lead out of it through a symbolic link (a pull request could point it anywhere). Paths are compared
    with every link resolved."""
    real_out, real_root = os.path.realpath(out), os.path.realpath(root)
    hint = "give --out a folder of its own, e.g. --out build"
    if real_out == real_root:
        raise CommandError(f"--out {out} is the project folder itself: the build would replace its own inputs", hint, usage=True)
    for folder in inputs:
        if inside(real_out, folder):
            raise CommandError(f"--out {out} lies inside {folder}, which the build reads: it would replace its own inputs", hint, True)
    if within(out, root) and not inside(out, root):
        raise CommandError(
            f"--out {out} leads out of the project through a symbolic link inside it (to {real_out})",
            "remove the link, or give the folder it leads to as --out",
            usage=True,
        )
    held = [real_root, *(os.path.realpath(f) for f in inputs)]
    for key in keys:
        target = os.path.join(real_out, key)
        for place in held:
            if within(place, target):
                raise CommandError(
                    f"--out {out}: the report of {key} would replace {target}, which holds {place}, read by the build", hint, True
                )


def write_atomic(target: Path, files: dict[str, bytes], shown: str) -> None:
    """Write `files` into a fresh folder beside `target`, then swap it in for `target`.

    The fresh folder (created exclusively, with an unpredictable name, by mkdtemp) holds the new
    files, each created exclusively, and then the previous `target` while the new one is renamed into
    place: so a `target` that is a symbolic link, or a file, is replaced (the link's destination is
    never touched), and nothing but `target` ever changes. On any failure (disk full, permissions,
    Ctrl-C between any two steps) the previous output stays as it was and the fresh folder is removed,
    with the previous output in it once the new one is in place: no temporary or old file remains.
    """
    parent = target.parent
    stage: Path | None = None
    old: Path | None = None
    try:
        parent.mkdir(parents=True, exist_ok=True)
        # The pid in the name lets the main process clean up after a worker killed outright (`recover`).
        stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=parent))
        new = stage / target.name
        new.mkdir()
        for name, data in sorted(files.items()):
            assert not name.startswith("/") and ".." not in name.split("/"), name  # hmic's own names: a round's data/ folder
            if "/" in name:
                os.makedirs(new / name.rsplit("/", 1)[0], exist_ok=True)  # inside the fresh folder, which only this function writes
            create_exclusive(new / name, data)
        os.chmod(new, 0o755)
        if os.path.lexists(target):
            old = stage / f"{target.name}.old"
            os.rename(target, old)
        os.rename(new, target)
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
        # Whatever stopped us: if the new folder is not in place, the previous output goes back (it was
        # moved if it is in the fresh folder, which only this function writes); then the fresh folder goes.
        restored = True
        if old is not None and os.path.lexists(old) and not os.path.lexists(target):
            try:
                os.rename(old, target)
            except OSError:  # then the previous output stays in the fresh folder rather than be lost
                restored = False
        if stage is not None and restored:
            shutil.rmtree(stage, ignore_errors=True)


def recover(target: Path, pid: int) -> None:
    """After process `pid` was killed (SIGKILL: no `finally` ran) while it may have been writing `target`:
    the previous output goes back if it had been moved aside into the fresh folder (`write_atomic`) and
    the new one is not in place, and the fresh folder is removed."""
    try:
        for found in target.parent.glob(f".{glob.escape(target.name)}.{pid}.*.tmp"):
            if not stat.S_ISDIR(os.lstat(found).st_mode):
                continue  # never one write_atomic made: it is left alone, and nothing is followed through it
            old = found / f"{target.name}.old"
            if os.path.lexists(old) and not os.path.lexists(target):
                os.rename(old, target)
            shutil.rmtree(found, ignore_errors=True)
    except OSError:
        pass  # the folder cannot be read or changed: nothing there to put back
