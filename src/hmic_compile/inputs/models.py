"""The typed, closed model of a framework and a force's evidence, in the Inspectorate's words."""

from enum import Enum

from pydantic import Field, model_validator

# The building blocks, re-exported: every stage finds the models here.
from .model_base import (  # noqa: F401
    BLOCK_KINDS,
    ID_RE,
    LINE_PATTERN,
    Block,
    Bullets,
    Flag,
    Id,
    Insert,
    Item,
    ItemOrText,
    Line,
    Model,
    Numbered,
    Section,
    Table,
    TableData,
    Text,
)
from .model_labels import AreaLabels, Labels  # noqa: F401

# The value of a force's area in the national results, and the key of a totals row, when the force was not
# inspected in that area: reserved, so no grade may take the name.
NOT_INSPECTED = "not inspected"


class Grade(Model):
    name: Line
    """The grade as awarded and printed, e.g. 'Excellent'."""
    short: Line | None = None
    """The grade's name on a chart's axis, when the full name is too long to label a bar."""
    definition: list[Block] = []
    """What the grade means: paragraphs and blocks, printed where the report inserts the grade definitions."""


class AreaDef(Model):
    id: Id
    """The area's id: its file is areas/<id>.yaml here and <id>.yaml in each force's evidence."""
    name: Line = Field(description="The area's name in summary tables, e.g. 'Child abuse'.")
    title: Line = Field(description="The area's section heading, e.g. 'Protecting Vulnerable People – Child Abuse'.")
    graded: Flag = True
    """true when the area is graded (and judged against its criteria); false for an overview."""
    labels: AreaLabels = AreaLabels()
    """Heading overrides for this area's section, e.g. 'strengths: Good practice'."""


class Group(Model):
    title: Line
    """The group's heading in the report, e.g. 'Protecting Vulnerable People'."""
    areas: list[Id] = Field(min_length=1)
    """The ids of the areas in the group, in the order printed."""


class Factor(Model):
    id: Id
    """The factor's id, cited from a force's 'factors' judgements and a rule's 'factors'."""
    text: Text
    """What the factor asks, as the framework words it."""


class ShareMet(Model):
    level: Text
    """The criterion level whose criteria are counted, e.g. 'Good'."""
    at_least: float | None = Field(None, ge=0, le=1)
    """The share of them (0 to 1) that must be met, or more: 0.5 is half or more."""
    more_than: float | None = Field(None, ge=0, le=1)
    """The share of them (0 to 1) that must be exceeded: 0.5 is more than half."""

    @model_validator(mode="after")
    def _one_threshold(self) -> "ShareMet":
        if (self.at_least is None) == (self.more_than is None):
            raise ValueError("give exactly one of 'at_least' or 'more_than' (a share between 0 and 1)")
        return self


class NotMetAtLeast(Model):
    level: Text
    """The criterion level counted, e.g. 'Fair'."""
    count: int = Field(ge=1)
    """How many criteria at that level not met make the rule hold."""
    significant_only: Flag = True
    """Count only criteria flagged significant (default true)."""


class Conditions(Model):
    """Every condition given must hold for the rule to apply."""

    dominant_not_met: Flag | None = None
    """true: holds when a criterion flagged dominant is not met."""
    not_met_at_least: NotMetAtLeast | None = None
    """Holds when at least 'count' criteria at 'level' are not met."""
    all_met: list[Text] = []
    """Levels whose criteria must all be met."""
    all_significant_met: list[Text] = []
    """Levels whose significant criteria must all be met."""
    share_met: list[ShareMet] = []
    """Shares of a level's criteria that must be met, each 'level' with 'at_least' or 'more_than'."""
    factors: list[Id] = []
    """Ids of the framework's factors that must each be judged met."""


class Rule(Model):
    grade: Text
    """The grade this rule awards, one of the framework's grades."""
    when: Conditions
    """The conditions, all of which must hold for the rule to apply."""
    explanation: Text
    """Why the grade follows, as `hmic grade` shows it."""


class Grading(Model):
    partly_met_weight: float = Field(0.5, ge=0, le=1)
    """How much a 'partly met' judgement counts towards a share (0 to 1, default 0.5)."""
    rules: list[Rule] = Field(min_length=1)
    """The grading rules, tried in order: the first that holds gives the grade."""
    otherwise: Text
    """The grade when no rule holds."""
    otherwise_explanation: Text
    """Why, when no rule holds."""


class Framework(Model):
    year: int
    """The inspection year, e.g. 2007."""
    title: Text
    """The framework's title."""
    publisher: Line | None = None
    """Who publishes the framework's reports; a force's own 'publisher' overrides it."""
    number_of_forces: int = Field(ge=1)
    """How many forces were inspected: national totals must add up to it."""
    grades: list[Grade] = Field(min_length=2, description="Best first.")
    levels: list[Text] = Field(min_length=1, description="Criterion levels, lowest first, e.g. Fair, Good, Excellent.")
    factors: list[Factor] = []
    """The Excellent factors that rules may require, each with an id and text."""
    grading: Grading
    """How a grade is derived from the judgements: rules tried in order, and what holds otherwise."""
    labels: Labels = Labels()
    """The report's headings and phrases (strengths, national_context, running_title, ...), over hmic's neutral defaults."""
    groups: list[Group] = Field(min_length=1)
    """The groups of areas, in the order the report prints them."""
    areas: list[AreaDef] = Field(min_length=1)
    """Every area of the framework, each with id, name, title and whether it is graded."""


class Introduction(Model):
    title: Line
    """The introduction's heading."""
    body: list[Block] = []
    """Its paragraphs and blocks, printed in every force's report."""
    sections: list[Section] = []
    """Sub-sections, each with a title, body and sections of its own."""


class Criterion(Model):
    id: Id
    """The criterion's id, which each force's judgements name, e.g. 'ca-g1'."""
    level: Text
    """The criterion's level, one of the framework's levels."""
    text: Text
    """The criterion as the framework words it."""
    significant: Flag = False
    """true for a significant criterion (rules may count only these)."""
    dominant: Flag = False
    """true for a dominant criterion: not met, it can cap the grade."""


class AreaCriteria(Model):
    area: Id
    """The area's id; must match the file's name."""
    reconstructed: bool = False
    """true when the criteria were reconstructed from the published report rather than the framework."""
    note: Text | None = None
    """A note about these criteria, e.g. where they come from."""
    national_context: list[Block] = []
    """The national context, printed at the start of the area in every force's report."""
    criteria: list[Criterion] = []
    """The Specific Grading Criteria, each with id, level and text."""


class NationalResults(Model):
    """The national results of a framework, per graded area: published totals, per-force grades, or both."""

    source: Text
    """Where the national results were published."""
    totals: dict[Id, dict[Text, int]] = Field(
        {},
        description="Published counts per area: the forces at each grade and, under 'not inspected', those not inspected; "
        "together they add up to the framework's number_of_forces, e.g. 'child-abuse: {Good: 17, Fair: 21}'.",
    )
    forces: dict[Id, dict[Id, Text]] = Field(
        {},
        description="Each force's grade per area, or 'not inspected'. A force's key is its evidence folder's name less its "
        "year: evidence/norfolk-2007 is 'norfolk'.",
    )


# --- a force's evidence (evidence/<force>-<year>/) --------------------------------------


class PreviousGrade(Model):
    grade: Text
    """The grade awarded at the previous inspection."""
    assessment: Text
    """Which inspection, e.g. '2006 baseline assessment'."""


class Force(Model):
    name: Line
    """The force's name, e.g. 'Norfolk Constabulary'."""
    year: int
    """The inspection year; must match the framework's year and the folder's name."""
    framework: Text = Field(description="The framework folder under criteria/, e.g. '2007' or 'peel-2016'.")
    publisher: Line | None = None
    """Who published the report, as printed on the title page; the framework's publisher when absent."""
    title: Line
    """The report's title, as printed on the title page."""
    month: Line
    """The month of publication, e.g. 'March'."""
    publication_year: int | None = None
    """The year of publication when it is not the inspection year, e.g. 2017 for a 2016 inspection published in March 2017."""
    isbn: Text | None = None
    """The report's ISBN, if it has one."""
    copyright: Text | None = None
    """The copyright line, printed on the title page's reverse."""
    first_published: Text | None = None
    """When the report was first published."""
    overview: Section
    """The force overview: a section with title, body and sub-sections."""
    previous_grades: dict[Id, PreviousGrade] = {}
    """Per area, the grade at the previous inspection and which inspection that was."""


class CaseStudy(Model):
    inspection_area: Line
    """The area of the inspection the practice belongs to."""
    title: Line
    """The practice's title."""
    problem: list[Block] = Field(min_length=1)
    """The problem it addressed: paragraphs and blocks."""
    solution: list[Block] = Field(min_length=1)
    """What the force did: paragraphs and blocks."""
    outcomes: list[Text] = Field(min_length=1)
    """What came of it, one entry each."""
    contact: Text
    """Whom to contact about it."""


class Recommendation(Model):
    id: Id
    """The recommendation's id, unique within the force."""
    text: Text
    """The recommendation's text."""


class Judgement(str, Enum):
    MET = "met"
    PARTLY_MET = "partly met"
    NOT_MET = "not met"


class CriterionJudgement(Model):
    criterion: Id
    """The id of one of the area's criteria."""
    judgement: Judgement
    """met, partly met or not met."""
    evidence: list[Id] = []
    """Ids of the strengths, work in progress and areas for improvement that support the judgement."""
    note: Text | None = None
    """A note on the judgement, for the inspectors (not printed)."""


class FactorJudgement(Model):
    factor: Id
    """The id of one of the framework's factors."""
    judgement: Judgement
    """met, partly met or not met."""
    evidence: list[Id] = []
    """Ids of the evidence items that support the judgement."""
    note: Text | None = None
    """A note on the judgement, for the inspectors (not printed)."""


class AreaEvidence(Model):
    area: Id
    """The area's id; must match the file's name."""
    inspected: Flag = True
    """false when the force was not inspected in this area: it then takes no grade or judgements."""
    grade: Text | None = None
    """The grade awarded, one of the framework's grades."""
    grade_rationale: Text | None = None
    """Why the grade awarded differs from the grade derived from the judgements."""
    contextual_factors: list[Block] = []
    """The contextual factors: paragraphs and blocks."""
    strengths: list[ItemOrText] = []
    """The strengths found, each text or an item with an id that judgements cite."""
    work_in_progress: list[ItemOrText] = []
    """Work in progress, each text or an item with an id."""
    areas_for_improvement: list[ItemOrText] = []
    """The areas for improvement, each text or an item with an id."""
    developing_practice: list[CaseStudy] = []
    """Developing practice: case studies with problem, solution, outcomes and contact."""
    recommendations: list[Recommendation] = []
    """The recommendations, each with an id and text."""
    judgements: list[CriterionJudgement] = []
    """One judgement for each of the area's criteria: criterion, judgement and the evidence cited."""
    factors: list[FactorJudgement] = []
    """Judgements of the framework's Excellent factors, each factor, judgement and evidence."""
    labels: AreaLabels = AreaLabels()
    """Heading overrides for this force's section, e.g. a singular 'Area for improvement'."""


class GlossaryEntry(Model):
    term: Line
    """The abbreviation or term, as the report writes it, e.g. 'PCSO'."""
    meaning: Text
    """What it stands for."""


class Glossary(Model):
    terms: list[GlossaryEntry] = Field([], description="Printed in this order; with none, the report has no glossary (W341).")
    unexpanded: list[Text] = Field(
        [], description="Abbreviations the report uses but the printed glossary deliberately leaves out; not printed."
    )


EVIDENCE_LISTS = ("strengths", "work_in_progress", "areas_for_improvement")
