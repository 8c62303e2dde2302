"""The closed set of a report's headings and phrases that a framework, an area or a force's area file may set."""

from .model_base import Model, Text


class AreaLabels(Model):
    """Headings and phrases of an area's section: a framework, one of its areas or a force's area file may set them.

    Every key is optional; hmic's neutral defaults (docs/format.md, "Labels") fill in the rest.
    """

    grade: Text | None = None
    """Before the area's grade."""
    national_grade_distribution: Text | None = None
    """The heading of the area's national distribution."""
    national_context: Text | None = None
    """The heading of the framework's national context for the area."""
    contextual_factors: Text | None = None
    """The heading of the force's own context for the area."""
    strengths: Text | None = None
    """The heading of the strengths."""
    work_in_progress: Text | None = None
    """The heading of the work in progress."""
    areas_for_improvement: Text | None = None
    """The heading of the areas for improvement."""
    developing_practice: Text | None = None
    """The heading of each case study."""
    case_study_area: Text | None = None
    """Before a case study's inspection area."""
    case_study_title: Text | None = None
    """Before a case study's title."""
    case_study_problem: Text | None = None
    """The heading of a case study's problem."""
    case_study_solution: Text | None = None
    """The heading of a case study's solution."""
    case_study_outcomes: Text | None = None
    """The heading of a case study's outcomes."""
    case_study_contact: Text | None = None
    """Before a case study's contact."""
    recommendation: Text | None = None
    """The heading over one recommendation."""
    recommendations: Text | None = None
    """The heading over several recommendations."""
    forces: Text | None = None
    """The distribution table's row of counts."""
    percent_of_forces: Text | None = None
    """The distribution table's row of percentages."""
    percent_of_forces_inspected: Text | None = None
    """The row of percentages when some forces were not inspected in the area (per cent of those inspected)."""
    direction_of_travel: Text | None = None
    """Before the change since the previous grade."""
    professional_judgement: Text | None = None
    """Before a grade rationale."""
    not_graded: Text | None = None
    """Shown for the grade of an area not yet graded (a draft)."""
    not_inspected: Text | None = None
    """Shown for the grade of an area the force was not inspected in."""
    no_national_comparison: Text | None = None
    """Said of a graded area the national results give nothing for."""


class Labels(AreaLabels):
    """The report's headings and phrases: the area-level ones above, and those of the report as a whole."""

    findings: Text | None = None
    """The heading of the findings: the summaries of grades."""
    national_summary: Text | None = None
    """The heading of the national summary of grades."""
    force_summary: Text | None = None
    """The heading of the force's summary of grades."""
    no_national_results: Text | None = None
    """Said when the national results give nothing for any area."""
    glossary: Text | None = None
    """The heading of the glossary."""
    contents: Text | None = None
    """The heading of the contents."""
    source: Text | None = None
    """Before the national results' source."""
    running_title: Text | None = None
    """After the force's name at the head of each page."""
    draft: Text | None = None
    """The mark on every page of a draft build."""
    draft_watermark: Text | None = None
    """The watermark behind a draft's pages."""
