"""The round's open data tables: their fields, and rows written as CSV and JSON (report/opendata.py packages them).

A force's rows are written where its report is built (report/round_record.py, in a worker); the round
joins every force's, in order, under one header. No cell of a CSV can become a spreadsheet formula: a text
cell starting with '=', '+', '-', '@', a tab or a carriage return gets a leading single quote (OWASP, CSV
injection), and every text cell is quoted; numbers are written bare and never changed. The JSON holds the
values exactly as the evidence gives them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from msgspec import Struct

from ..diagnostics import json_lines, json_text
from ..inputs.models import NOT_INSPECTED

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


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value  # written bare: QUOTE_NONNUMERIC quotes only text
    return neutralise(str(value))


def csv_lines(fields: Sequence[Field], rows: Sequence[Row], header: bool = True) -> str:
    """CSV text (RFC 4180: CRLF line ends), the header row first when `header`, every text cell quoted and neutralised, numbers bare."""
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    names = [f.name for f in fields]
    if header:
        w.writerow(names)
    for row in rows:  # most cells are text: neutralised at once, the rest through _csv_value
        w.writerow([neutralise(v) if type(v) is str else _csv_value(v) for v in map(row.__getitem__, names)])
    return buf.getvalue()


def csv_bytes(fields: Sequence[Field], rows: Sequence[Row]) -> bytes:
    """A CSV file in UTF-8: the header row, then the rows (csv_lines)."""
    return csv_lines(fields, rows).encode("utf-8")


def json_array(lines: Sequence[str], names: Sequence[str] = ()) -> bytes:
    """A JSON array of rows already written (json_lines), one row to a line: as readable as indented JSON.

    A table with no rows is its header alone, `[["force", "area", ...]]` (`names`), the Data Package's other
    form of JSON tabular data: an empty array says nothing of its fields, and frictionless cannot read it."""
    if not lines:
        return (json_text([list(names)], ascii=False, indent=None) + "\n").encode("utf-8") if names else b"[]\n"
    joined = ",\n".join("  " + line for line in lines)
    return f"[\n{joined}\n]\n".encode()


def json_bytes(rows: Sequence[Row], names: Sequence[str] = ()) -> bytes:
    """A JSON array of the rows, one row to a line, written by json's C encoder (json_array)."""
    return json_array(json_lines(rows) if rows else [], names)


class Written(Struct, frozen=True):
    """Some rows of a table, written: as CSV lines without the header (csv_lines), and as JSON, a line each (json_lines)."""

    csv: str = ""
    json: tuple[str, ...] = ()


def written(fields: Sequence[Field], rows: Sequence[Row]) -> Written:
    return Written(csv_lines(fields, rows, header=False), tuple(json_lines(rows)) if rows else ())
