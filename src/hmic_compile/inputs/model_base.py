"""The building blocks of every model: the closed base model, the value types (Id, Text, Line, Flag),
and the prose any file may hold (paragraphs, bullets with ids, numbered lists, tables, inserts, sections).

The model modules (this one, model_labels.py, models.py) keep their annotations as objects, without
`from __future__ import annotations`: pydantic takes each field's type as it is, where it would compile
and evaluate every annotation's text when each model is built (a tenth of their cost, on every command).
"""

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, StringConstraints, Tag

from . import model_docs

model_docs.install()  # before the first model: each module's field docstrings read once (model_docs.py)


def _flag(v: Any) -> Any:
    """Only true or false: YAML 1.1's yes/no/on/off/y/n would be surprises in a file a person edits."""
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v in ("true", "True", "TRUE"):
        return True
    if isinstance(v, str) and v in ("false", "False", "FALSE"):
        return False
    raise ValueError(f"expected true or false, found '{v}'")


Flag = Annotated[bool, BeforeValidator(_flag)]
Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)]
Text = Annotated[str, StringConstraints(min_length=1)]
LINE_PATTERN = r"^[^\n\r]*$"
Line = Annotated[str, StringConstraints(min_length=1, pattern=LINE_PATTERN)]  # titles and names: one line
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class Model(BaseModel):
    # Each field's docstring is its description: editors show it on hover (docs/editor.md).
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, use_attribute_docstrings=True)


# --- prose -------------------------------------------------------------------------------


class Item(Model):
    """A bullet: text, an optional stable id for cross-reference, and optional sub-items."""

    id: Id | None = None
    """A stable id, so that judgements can cite this item, e.g. 'np-pcso-recruitment'."""
    text: Text
    """The bullet's text (Markdown)."""
    items: list[Text] = []
    """Sub-bullets, printed under this one."""


def _item_tag(v: Any) -> str:
    return "text" if isinstance(v, str) else "item"


ItemOrText = Annotated[
    Annotated[Text, Tag("text")] | Annotated[Item, Tag("item")],
    Discriminator(_item_tag),
]


class Bullets(Model):
    bullets: list[ItemOrText] = Field(min_length=1)
    """A bulleted list: each entry text, or a mapping with text, an optional id and sub-items."""


class Numbered(Model):
    numbered: list[Text] = Field(min_length=1)
    """A numbered list, each entry text."""


class TableData(Model):
    header: list[Text] = Field(min_length=1)
    """The header row's cells."""
    rows: list[list[Text]] = []
    """The body rows, each a list of cells."""


class Table(Model):
    table: TableData
    """A table: its header row and body rows."""


class Insert(Model):
    """A place where the report inserts content derived from the data."""

    insert: Literal["grade-definitions"]
    """What the report inserts here: 'grade-definitions' (the framework's grade scale with each definition)."""


BLOCK_KINDS: dict[str, type[BaseModel]] = {"bullets": Bullets, "numbered": Numbered, "table": Table, "insert": Insert}
_BLOCK_TAGS: dict[type[BaseModel], str] = {cls: tag for tag, cls in BLOCK_KINDS.items()}


def _block_tag(v: Any) -> str | None:
    if isinstance(v, str):
        return "paragraph"
    if isinstance(v, dict):
        for k in v:
            if k in BLOCK_KINDS:
                return k
        return None
    if isinstance(v, BaseModel):
        return _BLOCK_TAGS.get(type(v))
    return None


Block = Annotated[
    Annotated[Text, Tag("paragraph")]
    | Annotated[Bullets, Tag("bullets")]
    | Annotated[Numbered, Tag("numbered")]
    | Annotated[Table, Tag("table")]
    | Annotated[Insert, Tag("insert")],
    Discriminator(_block_tag, custom_error_type="block_kind", custom_error_message="unknown block"),
]


class Section(Model):
    title: Line
    """The section's heading."""
    body: list[Block] = []
    """Its paragraphs and blocks (bullets, numbered, table, insert), in order."""
    sections: "list[Section]" = []
    """Sub-sections, each with a title, body and sections of its own."""
