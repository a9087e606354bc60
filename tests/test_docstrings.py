"""Every module's docstring examples run and give what they show (one runner for the package).

Public functions must carry a runnable Example (house style).
"""

import doctest
import importlib
import inspect
import pkgutil

import pytest

import kaizen_eval

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(kaizen_eval.__path__, prefix="kaizen_eval.")
    if not m.name.endswith("__main__")
)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=FLAGS, verbose=False)
    assert result.failed == 0


def test_every_public_function_has_an_example():
    missing = []
    for attr in kaizen_eval.__all__:
        obj = getattr(kaizen_eval, attr)
        if inspect.isfunction(obj) and ">>>" not in (obj.__doc__ or ""):
            missing.append(attr)
    assert not missing, f"public functions without a runnable Example: {missing}"
