"""inputs/model_docs.py: every model's field descriptions are exactly those pydantic's own docstring extraction gives."""

from __future__ import annotations

import inspect

import pytest
from pydantic import BaseModel
from pydantic._internal import _docs_extraction, _fields

from hmic_compile.inputs import model_docs
from hmic_compile.inputs import models as m

MODELS = [
    c for c in vars(m).values() if inspect.isclass(c) and issubclass(c, BaseModel) and c.__module__.startswith("hmic_compile.inputs.model")
]


def test_the_fast_extraction_is_installed() -> None:
    assert getattr(_fields.extract_docstrings_from_cls, "__wrapped__", None) is _docs_extraction.extract_docstrings_from_cls


@pytest.mark.parametrize("model", MODELS, ids=lambda c: c.__name__)
def test_descriptions_are_pydantics_own(model: type[BaseModel]) -> None:
    assert len(MODELS) > 30
    ours = _fields.extract_docstrings_from_cls(model)
    assert ours == _docs_extraction.extract_docstrings_from_cls(model, use_inspect=True)
    for name, field in model.model_fields.items():
        if name in model.__annotations__ and name in ours and "description=" not in inspect.getsource(model):
            assert field.description == ours[name]


def test_a_class_it_cannot_place_goes_to_pydantic() -> None:
    calls: list[type] = []

    def original(cls: type, use_inspect: bool = False) -> dict[str, str]:
        calls.append(cls)
        return {"x": "from pydantic"}

    extract = model_docs._extractor(original)

    class Nested:  # not hmic's, and nested in a function
        x: int
        """nested"""

    assert extract(Nested) == {"x": "from pydantic"}
    assert extract(int) == {"x": "from pydantic"}  # not hmic's
    assert calls == [Nested, int]
    assert extract(m.Item) == {
        "id": m.Item.model_fields["id"].description,
        "text": "The bullet's text (Markdown).",
        "items": "Sub-bullets, printed under this one.",
    }
