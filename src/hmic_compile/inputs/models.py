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


# The value of a force's area in the national results, and the key of a totals row, when the force was not
# inspected in that area: reserved, so no grade may take the name.
NOT_INSPECTED = "not inspected"


class Grade(Model):
    name: Line
    short: Line | None = Field(None, description="The grade's name on a chart's axis, when the full name is too long to label a bar.")
    definition: list[Block] = []


class AreaLabels(Model):
    """Headings and phrases of an area's section: a framework, one of its areas or a force's area file may set them.

    Every key is optional; hmic's neutral defaults (docs/format.md, "Labels") fill in the rest.
    """

    grade: Text | None = Field(None, description="Before the area's grade.")
    national_grade_distribution: Text | None = Field(None, description="The heading of the area's national distribution.")
    national_context: Text | None = Field(None, description="The heading of the framework's national context for the area.")
    contextual_factors: Text | None = Field(None, description="The heading of the force's own context for the area.")
    strengths: Text | None = Field(None, description="The heading of the strengths.")
    work_in_progress: Text | None = Field(None, description="The heading of the work in progress.")
    areas_for_improvement: Text | None = Field(None, description="The heading of the areas for improvement.")
    developing_practice: Text | None = Field(None, description="The heading of each case study.")
    case_study_area: Text | None = Field(None, description="Before a case study's inspection area.")
    case_study_title: Text | None = Field(None, description="Before a case study's title.")
    case_study_problem: Text | None = Field(None, description="The heading of a case study's problem.")
    case_study_solution: Text | None = Field(None, description="The heading of a case study's solution.")
    case_study_outcomes: Text | None = Field(None, description="The heading of a case study's outcomes.")
    case_study_contact: Text | None = Field(None, description="Before a case study's contact.")
    recommendation: Text | None = Field(None, description="The heading over one recommendation.")
    recommendations: Text | None = Field(None, description="The heading over several recommendations.")
    forces: Text | None = Field(None, description="The distribution table's row of counts.")
    percent_of_forces: Text | None = Field(None, description="The distribution table's row of percentages.")
    percent_of_forces_inspected: Text | None = Field(
        None, description="The row of percentages when some forces were not inspected in the area (per cent of those inspected)."
    )
    direction_of_travel: Text | None = Field(None, description="Before the change since the previous grade.")
    professional_judgement: Text | None = Field(None, description="Before a grade rationale.")
    not_graded: Text | None = Field(None, description="Shown for the grade of an area not yet graded (a draft).")
    not_inspected: Text | None = Field(None, description="Shown for the grade of an area the force was not inspected in.")
    no_national_comparison: Text | None = Field(None, description="Said of a graded area the national results give nothing for.")


class Labels(AreaLabels):
    """The report's headings and phrases: the area-level ones above, and those of the report as a whole."""

    findings: Text | None = Field(None, description="The heading of the findings: the summaries of grades.")
    national_summary: Text | None = Field(None, description="The heading of the national summary of grades.")
    force_summary: Text | None = Field(None, description="The heading of the force's summary of grades.")
    no_national_results: Text | None = Field(None, description="Said when the national results give nothing for any area.")
    glossary: Text | None = Field(None, description="The heading of the glossary.")
    contents: Text | None = Field(None, description="The heading of the contents.")
    source: Text | None = Field(None, description="Before the national results' source.")
    running_title: Text | None = Field(None, description="After the force's name at the head of each page.")
    draft: Text | None = Field(None, description="The mark on every page of a draft build.")
    draft_watermark: Text | None = Field(None, description="The watermark behind a draft's pages.")


class AreaDef(Model):
    id: Id
    name: Line = Field(description="The area's name in summary tables, e.g. 'Child abuse'.")
    title: Line = Field(description="The area's section heading, e.g. 'Protecting Vulnerable People – Child Abuse'.")
    graded: Flag = True
    labels: AreaLabels = AreaLabels()


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
    publisher: Line | None = Field(None, description="Who publishes the framework's reports; a force's own 'publisher' overrides it.")
    number_of_forces: int = Field(ge=1)
    grades: list[Grade] = Field(min_length=2, description="Best first.")
    levels: list[Text] = Field(min_length=1, description="Criterion levels, lowest first, e.g. Fair, Good, Excellent.")
    factors: list[Factor] = []
    grading: Grading
    labels: Labels = Labels()
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
    """The national results of a framework, per graded area: published totals, per-force grades, or both."""

    source: Text
    totals: dict[Id, dict[Text, int]] = Field(
        {},
        description="Published counts per area: the forces at each grade and, under 'not inspected', those not inspected; "
        "together they add up to the framework's number_of_forces.",
    )
    forces: dict[Id, dict[Id, Text]] = Field(
        {},
        description="Each force's grade per area, or 'not inspected'. A force's key is its evidence folder's name less its "
        "year: evidence/norfolk-2007 is 'norfolk'.",
    )


# --- a force's evidence (evidence/<force>-<year>/) --------------------------------------


class PreviousGrade(Model):
    grade: Text
    assessment: Text


class Force(Model):
    name: Line
    year: int
    framework: Text = Field(description="The framework folder under criteria/, e.g. '2007' or 'peel-2016'.")
    publisher: Line | None = Field(None, description="Who publishes the report; the framework's publisher when absent.")
    title: Line
    month: Line = Field(description="The month of publication, e.g. 'March'.")
    publication_year: int | None = Field(
        None,
        description="The year of publication when it is not the inspection year, e.g. 2017 for a 2016 inspection published in March 2017.",
    )
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
    inspected: Flag = Field(True, description="false when the force was not inspected in this area: it then takes no grade or judgements.")
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
    labels: AreaLabels = Field(
        AreaLabels(), description="Heading overrides for this force's section, e.g. a singular 'Area for improvement'."
    )


class GlossaryEntry(Model):
    term: Line
    meaning: Text


class Glossary(Model):
    terms: list[GlossaryEntry] = Field([], description="Printed in this order; with none, the report has no glossary (W341).")
    unexpanded: list[Text] = Field(
        [], description="Abbreviations the report uses but the printed glossary deliberately leaves out; not printed."
    )


EVIDENCE_LISTS = ("strengths", "work_in_progress", "areas_for_improvement")
