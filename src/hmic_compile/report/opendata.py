"""A round's open data: grades, distributions and judgements as CSV and JSON, described by a Frictionless Data Package.

UTF-8, a header row, rows in a stable order (docs/round.md, "Open data"). The tables' fields, and how a
cell is written (no CSV cell can become a spreadsheet formula), are report/tables.py's. The judgements, by
far the most rows, come written already: each force's in its record (report/round_record.py), made in the
worker that built its report.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

from ..derive.national import picture
from ..diagnostics import json_text
from ..inputs.models import NOT_INSPECTED, Judgement
from ..inputs.project import FrameworkBundle
from .round import RoundView
from .round_record import ForceRecord
from .tables import JUDGEMENTS, KEYS, SCHEMAS, TITLES, Row, csv_bytes, csv_lines, json_array, json_bytes


def constraints(fb: FrameworkBundle) -> dict[str, dict[str, dict[str, Any]]]:
    """Per file and field, what the framework allows: its grades, its levels, the judgements, ranks on its scale."""
    grades = [g.name for g in fb.framework.grades]
    rank = {"minimum": 1, "maximum": len(grades)}
    return {
        "grades": {"grade": {"enum": grades}, "grade_rank": rank, "source": {"enum": ["evidence", "national results"]}},
        "distributions": {"grade": {"enum": [*grades, NOT_INSPECTED]}, "grade_rank": rank, "per_cent": {"maximum": 100}},
        "judgements": {"level": {"enum": list(fb.framework.levels)}, "judgement": {"enum": [j.value for j in Judgement]}},
    }


def grade_rows(fb: FrameworkBundle, view: RoundView, records: Sequence[ForceRecord]) -> list[Row]:
    """Every grade the round knows, by force key then the framework's order of areas."""
    by_folder = {r.key: r for r in records}
    names = {a.id: a.name for a in fb.framework.areas}
    out = []
    for row in sorted(view.rows, key=lambda r: r.key):
        rec = by_folder.get(row.folder or "")
        for cell in row.cells:
            if not cell.known:
                continue
            ar = rec.area(cell.area) if rec else None
            previous = ar.previous if ar else None
            out.append(
                {
                    "force": row.key,
                    "force_name": row.name,
                    "area": cell.area,
                    "area_name": names[cell.area],
                    "grade": view.grades[cell.rank - 1] if cell.rank else None,
                    "grade_rank": cell.rank,
                    "previous_grade": previous[0] if previous else None,
                    "previous_assessment": previous[1] if previous else None,
                    "inspected": bool(cell.inspected),
                    "source": "evidence" if rec else "national results",
                }
            )
    return out


def distribution_rows(fb: FrameworkBundle) -> list[Row]:
    """Every graded area's national counts, the scale best first, then the forces not inspected."""
    national = picture(fb)
    source = fb.national.source if fb.national else ""
    out = []
    for ad in fb.framework.areas:
        results = national.area(ad.id)
        if results is None:
            continue
        base = results.inspected
        for rank, (grade, n) in enumerate(results.counts, 1):
            per_cent = round(100 * n / base, 1) if base else None
            out.append(
                {
                    "area": ad.id,
                    "area_name": ad.name,
                    "grade": grade,
                    "grade_rank": rank,
                    "forces": n,
                    "per_cent": per_cent,
                    "counted_from": results.shape.value,
                    "source": source,
                }
            )
        if results.not_inspected:
            out.append(
                {
                    "area": ad.id,
                    "area_name": ad.name,
                    "grade": NOT_INSPECTED,
                    "grade_rank": None,
                    "forces": results.not_inspected,
                    "per_cent": None,
                    "counted_from": results.shape.value,
                    "source": source,
                }
            )
    return out


def _judgements(records: Sequence[ForceRecord]) -> tuple[bytes, bytes]:
    """The judgements table as CSV and JSON: every force's rows as its record holds them written, by force key."""
    ordered = sorted(records, key=lambda r: r.national_key)
    csv_data = (csv_lines(JUDGEMENTS, [], header=True) + "".join(r.judgements.csv for r in ordered)).encode("utf-8")
    return csv_data, json_array([line for r in ordered for line in r.judgements.json], [f.name for f in JUDGEMENTS])


def _name(key: str) -> str:
    """A Data Package name (lower case letters, digits, '-', '_', '.') for the framework's folder."""
    return "hmic-round-" + (re.sub(r"[^a-z0-9._-]+", "-", key.lower()).strip("-") or "framework")


def data_files(fb: FrameworkBundle, view: RoundView, records: Sequence[ForceRecord], draft: str | None = None) -> dict[str, bytes]:
    """data/<name>.csv and .json for grades, distributions and judgements, and data/datapackage.json describing them
    (its title marked with `draft`, the draft mark, for a --draft build)."""
    tables = {
        name: (csv_bytes(SCHEMAS[name], rows), json_bytes(rows, [f.name for f in SCHEMAS[name]]))
        for name, rows in (("grades", grade_rows(fb, view, records)), ("distributions", distribution_rows(fb)))
    }
    tables["judgements"] = _judgements(records)
    files: dict[str, bytes] = {}
    resources = []
    allowed = constraints(fb)
    for name in ("grades", "distributions", "judgements"):
        fields = SCHEMAS[name]
        for fmt, data in zip(("csv", "json"), tables[name], strict=True):
            path = f"{name}.{fmt}"
            files[path] = data
            schema: dict[str, Any] = {"fields": [f.schema(allowed[name].get(f.name)) for f in fields], "primaryKey": KEYS[name]}
            if name == "judgements":
                schema["foreignKeys"] = [
                    {"fields": ["force", "area"], "reference": {"resource": f"grades-{fmt}", "fields": ["force", "area"]}}
                ]
            resources.append(
                {
                    "name": f"{name}-{fmt}",
                    "title": TITLES[name] + (" (JSON)" if fmt == "json" else ""),
                    "path": path,
                    "profile": "tabular-data-resource",
                    "format": fmt,
                    "mediatype": "text/csv" if fmt == "csv" else "application/json",
                    "encoding": "utf-8",
                    # frictionless checks a JSON resource's hash but counts no bytes of it: its size only for the CSV
                    **({"bytes": len(data)} if fmt == "csv" else {}),
                    "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
                    **({"dialect": {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "header": True}} if fmt == "csv" else {}),
                    "schema": schema,
                }
            )
    fw = fb.framework
    names = ", ".join(r.name for r in view.rows if r.folder is not None)
    evidence = f"the evidence of {view.reports} of the {view.of} forces held for it ({names})" if view.of else "each force's evidence"
    package: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": _name(fb.key),
        "title": (f"{draft}: " if draft else "") + f"{fw.title}: grades, national distributions and criterion judgements",
        "description": (
            f"The round of {fw.title} as open data, built by hmic from the framework's criteria and "
            f"{evidence}. In the CSV files a text cell that would start with =, +, -, @, a tab or a carriage return "
            "starts with a single quote, so that no spreadsheet takes it for a formula; the JSON files hold every value as it is."
        ),
        "resources": resources,
    }
    if fb.national:
        package["sources"] = [{"title": " ".join(fb.national.source.split())}]
    files["datapackage.json"] = (json_text(package, ascii=False) + "\n").encode("utf-8")
    return files
