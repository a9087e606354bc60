"""The Examples in the scores modules' docstrings run and give what they show."""

import doctest
import importlib

import pytest

MODULES = [
    "kaizen_eval.scores",
    "kaizen_eval.scores.share",
    "kaizen_eval.scores.standardize",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, verbose=False)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
