"""The Examples sections of the design stage's docstrings run and give what they show."""

import doctest
import importlib

import pytest

MODULES = [
    "kaizen_eval.design._canonical",
    "kaizen_eval.design._draw",
    "kaizen_eval.design.stages",
    "kaizen_eval.design.assignment",
    "kaizen_eval.design.power",
    "kaizen_eval.design.balance",
    "kaizen_eval.design.attrition",
    "kaizen_eval.design.simulate",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, verbose=False)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
