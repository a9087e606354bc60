"""The examples in the docstrings of the cost-benefit modules run and give what they show."""

import doctest
import importlib

import pytest

MODULES = ["analysis", "benefits", "costs", "metrics", "sensitivity", "uncertainty", "wtp"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"kaizen_eval.costbenefit.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
