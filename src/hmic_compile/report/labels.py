"""The report's headings and phrases: hmic's neutral defaults, and how a framework, an area and a force's area file override them."""

from __future__ import annotations

from ..inputs import models as m

# hmic's own words, neutral: a framework's `labels` gives its own (criteria/2007/framework.yaml carries 2007's).
# Every key is one of models.Labels' fields; docs/format.md lists them (tests/test_labels.py keeps the three in step).
DEFAULT_LABELS = {
    "grade": "Grade",
    "national_grade_distribution": "National grade distribution",
    "national_context": "National context",
    "contextual_factors": "Contextual factors",
    "strengths": "Strengths",
    "work_in_progress": "Work in progress",
    "areas_for_improvement": "Areas for improvement",
    "developing_practice": "Case study",
    "case_study_area": "Inspection area:",
    "case_study_title": "Title:",
    "case_study_problem": "Problem",
    "case_study_solution": "Solution",
    "case_study_outcomes": "Outcomes",
    "case_study_contact": "Contact:",
    "recommendation": "Recommendation",
    "recommendations": "Recommendations",
    "forces": "Forces",
    "percent_of_forces": "Per cent of forces",
    "percent_of_forces_inspected": "Per cent of forces inspected",
    "direction_of_travel": "Direction of travel",
    "professional_judgement": "Professional judgement",
    "not_graded": "Not yet graded",
    "not_inspected": "Not inspected",
    "no_national_comparison": "No national comparison is published for this area.",
    "findings": "Findings",
    "national_summary": "National summary of grades",
    "force_summary": "Force summary of grades",
    "no_national_results": "No national comparison is published for this inspection.",
    "glossary": "Glossary",
    "contents": "Contents",
    "source": "Source",
    "running_title": "Inspection report",
    "draft": "DRAFT — for factual accuracy check",
    "draft_watermark": "DRAFT",
}


def _given(labels: m.AreaLabels) -> dict[str, str]:
    return {k: v for k, v in labels.model_dump().items() if v is not None}


def report_labels(framework: m.Framework) -> dict[str, str]:
    """The report's labels: the framework's over hmic's defaults."""
    return {**DEFAULT_LABELS, **_given(framework.labels)}


def area_labels(framework: m.Framework, area: m.AreaDef, evidence: m.AreaEvidence) -> dict[str, str]:
    """An area section's labels: the force's area file over the framework's area, over the framework, over the defaults."""
    return {**report_labels(framework), **_given(area.labels), **_given(evidence.labels)}
