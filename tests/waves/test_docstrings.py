"""The Examples in the waves modules' docstrings run and give what they show."""

import doctest
import importlib

import pytest

MODULES = [
    "kaizen_eval.waves",
    "kaizen_eval.waves.attrition",
    "kaizen_eval.waves.codebook",
    "kaizen_eval.waves.io",
    "kaizen_eval.waves.issues",
    "kaizen_eval.waves.money",
    "kaizen_eval.waves.panel",
    "kaizen_eval.waves.pii",
    "kaizen_eval.waves.validate",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, verbose=False)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
