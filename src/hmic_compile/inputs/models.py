"""The typed, closed model of a framework and a force's evidence, in the Inspectorate's words."""

from __future__ import annotations

import re
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, StringConstraints, Tag, model_validator


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
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# --- prose -------------------------------------------------------------------------------


class Item(Model):
    """A bullet: text, an optional stable id for cross-reference, and optional sub-items."""

    id: Id | None = None
    text: Text
    items: list[Text] = []


def _item_tag(v: Any) -> str:
    return "text" if isinstance(v, str) else "item"


ItemOrText = Annotated[
    Annotated[Text, Tag("text")] | Annotated[Item, Tag("item")],
    Discriminator(_item_tag),
]


class Bullets(Model):
    bullets: list[ItemOrText] = Field(min_length=1)


class Numbered(Model):
    numbered: list[Text] = Field(min_length=1)


class TableData(Model):
    header: list[Text] = Field(min_length=1)
    rows: list[list[Text]] = []


class Table(Model):
    table: TableData


class Insert(Model):
    """A place where the report inserts content derived from the data."""

    insert: Literal["grade-definitions"]


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
    body: list[Block] = []
    sections: list[Section] = []


# --- the framework (criteria/<year>/) ---------------------------------------------------


class Grade(Model):
    name: Line
    definition: list[Block] = []


class AreaDef(Model):
    id: Id
    name: Line = Field(description="The area's name in summary tables, e.g. 'Child abuse'.")
    title: Line = Field(description="The area's section heading, e.g. 'Protecting Vulnerable People – Child Abuse'.")
    graded: Flag = True
    labels: dict[str, Text] = {}


class Group(Model):
    title: Line
    areas: list[Id] = Field(min_length=1)


class Factor(Model):
    id: Id
    text: Text


class ShareMet(Model):
    level: Text
    at_least: float | None = Field(None, ge=0, le=1)
    more_than: float | None = Field(None, ge=0, le=1)

    @model_validator(mode="after")
    def _one_threshold(self) -> ShareMet:
        if (self.at_least is None) == (self.more_than is None):
            raise ValueError("give exactly one of 'at_least' or 'more_than' (a share between 0 and 1)")
        return self


class NotMetAtLeast(Model):
    level: Text
    count: int = Field(ge=1)
    significant_only: Flag = True


class Conditions(Model):
    """Every condition given must hold for the rule to apply."""

    dominant_not_met: Flag | None = None
    not_met_at_least: NotMetAtLeast | None = None
    all_met: list[Text] = []
    all_significant_met: list[Text] = []
    share_met: list[ShareMet] = []
    factors: list[Id] = []


class Rule(Model):
    grade: Text
    when: Conditions
    explanation: Text


class Grading(Model):
    partly_met_weight: float = Field(0.5, ge=0, le=1)
    rules: list[Rule] = Field(min_length=1)
    otherwise: Text
    otherwise_explanation: Text


class Framework(Model):
    year: int
    title: Text
    number_of_forces: int = Field(ge=1)
    grades: list[Grade] = Field(min_length=2, description="Best first.")
    levels: list[Text] = Field(min_length=1, description="Criterion levels, lowest first, e.g. Fair, Good, Excellent.")
    factors: list[Factor] = []
    grading: Grading
    labels: dict[str, Text] = {}
    groups: list[Group] = Field(min_length=1)
    areas: list[AreaDef] = Field(min_length=1)


class Introduction(Model):
    title: Line
    body: list[Block] = []
    sections: list[Section] = []


class Criterion(Model):
    id: Id
    level: Text
    text: Text
    significant: Flag = False
    dominant: Flag = False


class AreaCriteria(Model):
    area: Id
    reconstructed: bool = False
    note: Text | None = None
    national_context: list[Block] = []
    criteria: list[Criterion] = []


class NationalResults(Model):
    source: Text
    totals: dict[Id, dict[Text, int]] = {}
    forces: dict[Id, dict[Id, Text]] = {}


# --- a force's evidence (evidence/<force>-<year>/) --------------------------------------


class PreviousGrade(Model):
    grade: Text
    assessment: Text


class Force(Model):
    name: Line
    year: int
    framework: Text = Field(description="The framework folder under criteria/, e.g. '2007'.")
    publisher: Line
    title: Line
    month: Line
    isbn: Text | None = None
    copyright: Text | None = None
    first_published: Text | None = None
    overview: Section
    previous_grades: dict[Id, PreviousGrade] = {}


class CaseStudy(Model):
    inspection_area: Line
    title: Line
    problem: list[Block] = Field(min_length=1)
    solution: list[Block] = Field(min_length=1)
    outcomes: list[Text] = Field(min_length=1)
    contact: Text


class Recommendation(Model):
    id: Id
    text: Text


class Judgement(str, Enum):
    MET = "met"
    PARTLY_MET = "partly met"
    NOT_MET = "not met"


class CriterionJudgement(Model):
    criterion: Id
    judgement: Judgement
    evidence: list[Id] = []
    note: Text | None = None


class FactorJudgement(Model):
    factor: Id
    judgement: Judgement
    evidence: list[Id] = []
    note: Text | None = None


class AreaEvidence(Model):
    area: Id
    grade: Text | None = None
    grade_rationale: Text | None = None
    contextual_factors: list[Block] = []
    strengths: list[ItemOrText] = []
    work_in_progress: list[ItemOrText] = []
    areas_for_improvement: list[ItemOrText] = []
    developing_practice: list[CaseStudy] = []
    recommendations: list[Recommendation] = []
    judgements: list[CriterionJudgement] = []
    factors: list[FactorJudgement] = []
    labels: dict[str, Text] = Field({}, description="Heading overrides for this force's section, e.g. a singular 'Area for improvement'.")


class GlossaryEntry(Model):
    term: Line
    meaning: Text


class Glossary(Model):
    terms: list[GlossaryEntry] = Field(min_length=1, description="Printed in this order.")
    unexpanded: list[Text] = Field(
        [], description="Abbreviations the report uses but the printed glossary deliberately leaves out; not printed."
    )


EVIDENCE_LISTS = ("strengths", "work_in_progress", "areas_for_improvement")
