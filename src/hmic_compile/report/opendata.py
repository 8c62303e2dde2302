"""A round's open data: grades, distributions and judgements as CSV and JSON, described by a Frictionless Data Package.

UTF-8, a header row, rows in a stable order (docs/round.md, "Open data"). No cell of a CSV can become a
spreadsheet formula: a text cell starting with '=', '+', '-', '@', a tab or a carriage return gets a
leading single quote (OWASP, CSV injection), and every text cell is quoted; numbers are written bare
and never changed (they are counts, ranks and percentages, never negative). The JSON files hold the
values exactly as the evidence gives them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from typing import Any

from msgspec import Struct

from ..derive.national import picture
from ..diagnostics import json_lines, json_text
from ..inputs.models import NOT_INSPECTED, Judgement
from ..inputs.project import FrameworkBundle
from .round import RoundView
from .round_record import ForceRecord

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """A text cell that no spreadsheet takes for a formula: a leading single quote when it starts like one (OWASP)."""
    return "'" + text if text.startswith(FORMULA_START) else text


class Field(Struct, frozen=True):
    name: str
    type: str  # Table Schema's: string, integer, number, boolean
    description: str
    required: bool = False

    def schema(self, more: dict[str, Any] | None = None) -> dict[str, Any]:
        """The field's Table Schema; `more`, the constraints the framework sets (its grades, levels, the scale's length)."""
        out: dict[str, Any] = {"name": self.name, "type": self.type, "description": self.description}
        constraints = {**({"required": True} if self.required else {}), **({"minimum": 0} if self.type in ("integer", "number") else {})}
        constraints |= more or {}
        if constraints:
            out["constraints"] = constraints
        return out


GRADES = (
    Field("force", "string", "The force's key in the national results: its evidence folder's name less the year", True),
    Field("force_name", "string", "The force's name; its key when the round has no report of the force", True),
    Field("area", "string", "The area's id in the framework", True),
    Field("area_name", "string", "The area's name", True),
    Field("grade", "string", "The grade awarded; empty when the force was not inspected in the area or not yet graded"),
    Field("grade_rank", "integer", "The grade's place on the scale, 1 the best"),
    Field("previous_grade", "string", "The grade at the previous inspection, when the evidence gives it"),
    Field("previous_assessment", "string", "Which inspection the previous grade is from"),
    Field("inspected", "boolean", "Whether the force was inspected in the area", True),
    Field("source", "string", "Where the grade comes from: the force's evidence, or the national results alone", True),
)
DISTRIBUTIONS = (
    Field("area", "string", "The area's id in the framework", True),
    Field("area_name", "string", "The area's name", True),
    Field("grade", "string", f"A grade of the scale, or '{NOT_INSPECTED}' for the forces not inspected in the area", True),
    Field("grade_rank", "integer", "The grade's place on the scale, 1 the best; empty for the forces not inspected"),
    Field("forces", "integer", "How many forces", True),
    Field("per_cent", "number", "Per cent of the forces inspected in the area, to one decimal place; empty for the forces not inspected"),
    Field("counted_from", "string", "How the national results were published for the area", True),
    Field("source", "string", "Where the national results were published", True),
)
JUDGEMENTS = (
    Field("force", "string", "The force's key in the national results", True),
    Field("area", "string", "The area's id in the framework", True),
    Field("criterion", "string", "The criterion's id", True),
    Field("level", "string", "The criterion's level", True),
    Field("significant", "boolean", "Whether the criterion is flagged significant", True),
    Field("dominant", "boolean", "Whether the criterion is flagged dominant", True),
    Field("judgement", "string", "met, partly met or not met", True),
    Field("evidence", "string", "The ids of the evidence items cited for the judgement, separated by spaces"),
)
SCHEMAS = {"grades": GRADES, "distributions": DISTRIBUTIONS, "judgements": JUDGEMENTS}
KEYS = {"grades": ["force", "area"], "distributions": ["area", "grade"], "judgements": ["force", "area", "criterion"]}
TITLES = {
    "grades": "Each force's grade per graded area",
    "distributions": "The national distribution of grades per area",
    "judgements": "Each force's judgement of each criterion",
}

Row = dict[str, Any]


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


def judgement_rows(fb: FrameworkBundle, records: Sequence[ForceRecord]) -> list[Row]:
    """Every criterion judgement of the round's forces, by force key, the framework's order of areas, then of criteria."""
    out = []
    for rec in sorted(records, key=lambda r: r.national_key):
        for ad in fb.framework.areas:
            ar = rec.area(ad.id)
            crit = fb.areas[ad.id].criteria if ad.id in fb.areas else []
            if ar is None or not crit:
                continue
            judged = {j.criterion: j for j in ar.judgements}
            for c in crit:
                j = judged.get(c.id)
                if j is None:
                    continue
                out.append(
                    {
                        "force": rec.national_key,
                        "area": ad.id,
                        "criterion": c.id,
                        "level": c.level,
                        "significant": c.significant,
                        "dominant": c.dominant,
                        "judgement": j.judgement,
                        "evidence": " ".join(j.evidence) or None,
                    }
                )
    return out


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value  # written bare: QUOTE_NONNUMERIC quotes only text
    return neutralise(str(value))


def csv_bytes(fields: Sequence[Field], rows: Sequence[Row]) -> bytes:
    """UTF-8 CSV (RFC 4180: CRLF line ends), a header row, every text cell quoted and neutralised, numbers bare."""
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    names = [f.name for f in fields]
    w.writerow(names)
    for row in rows:  # most cells are text: neutralised at once, the rest through _csv_value
        w.writerow([neutralise(v) if type(v) is str else _csv_value(v) for v in map(row.__getitem__, names)])
    return buf.getvalue().encode("utf-8")


def json_bytes(rows: Sequence[Row], names: Sequence[str] = ()) -> bytes:
    """A JSON array of the rows, one row to a line: as readable as indented JSON, and written by json's C encoder.

    A table with no rows is its header alone, `[["force", "area", ...]]` (`names`), the Data Package's other
    form of JSON tabular data: an empty array says nothing of its fields, and frictionless cannot read it."""
    if not rows:
        return (json_text([list(names)], ascii=False, indent=None) + "\n").encode("utf-8") if names else b"[]\n"
    lines = ",\n".join("  " + line for line in json_lines(rows))
    return f"[\n{lines}\n]\n".encode()


def _name(key: str) -> str:
    """A Data Package name (lower case letters, digits, '-', '_', '.') for the framework's folder."""
    return "hmic-round-" + (re.sub(r"[^a-z0-9._-]+", "-", key.lower()).strip("-") or "framework")


def data_files(fb: FrameworkBundle, view: RoundView, records: Sequence[ForceRecord], draft: str | None = None) -> dict[str, bytes]:
    """data/<name>.csv and .json for grades, distributions and judgements, and data/datapackage.json describing them
    (its title marked with `draft`, the draft mark, for a --draft build)."""
    rows = {"grades": grade_rows(fb, view, records), "distributions": distribution_rows(fb), "judgements": judgement_rows(fb, records)}
    files: dict[str, bytes] = {}
    resources = []
    allowed = constraints(fb)
    for name in ("grades", "distributions", "judgements"):
        fields = SCHEMAS[name]
        for fmt, data in (("csv", csv_bytes(fields, rows[name])), ("json", json_bytes(rows[name], [f.name for f in fields]))):
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
