"""Shared docstring fragments (``kaizen_eval._docs``): filled at import, never left as holes."""

import importlib
import inspect
import pkgutil
import re
import typing

import pytest

import kaizen_eval
from kaizen_eval._docs import fill_doc, signature_from

HOLE = re.compile(r"^\s*%\(\w+\)s\s*$", re.MULTILINE)


def test_a_fragment_is_indented_as_its_placeholder():
    @fill_doc({"p": "x : int\n    The x.", "ret": "Returns\n-------\nint"})
    def f(x):
        """Do.

        Parameters
        ----------
        %(p)s

        %(ret)s
        """

    lines = f.__doc__.splitlines()
    assert "        x : int" in lines
    assert "            The x." in lines
    assert "        -------" in lines
    assert inspect.getdoc(f).splitlines()[4:6] == ["x : int", "    The x."]


def test_fragments_nest():
    parts = {"outer": "a\n%(inner)s", "inner": "b"}

    @fill_doc(parts)
    def f():
        """T.

        %(outer)s
        """

    assert [ln.strip() for ln in f.__doc__.splitlines()][2:4] == ["a", "b"]


def test_an_unknown_fragment_fails_at_definition_naming_the_function():
    with pytest.raises(KeyError, match="f: no docstring fragment named 'nope'"):

        @fill_doc({})
        def f():
            """T.

            %(nope)s
            """


def _docstrings(module):
    for _, obj in inspect.getmembers(module):
        if getattr(obj, "__module__", None) != module.__name__ or not hasattr(obj, "__qualname__"):
            continue
        yield obj.__qualname__, obj.__doc__ or ""
        if inspect.isclass(obj):
            for name, member in vars(obj).items():
                doc = getattr(member, "__doc__", None)
                if isinstance(member, property):
                    doc = member.fget.__doc__ if member.fget else None
                if isinstance(doc, str) and callable(getattr(member, "__get__", None)):
                    yield f"{obj.__qualname__}.{name}", doc


def test_no_docstring_in_the_package_keeps_a_placeholder():
    holes = []
    for info in pkgutil.walk_packages(kaizen_eval.__path__, prefix="kaizen_eval."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for where, doc in [(info.name, module.__doc__ or ""), *_docstrings(module)]:
            if info.name == "kaizen_eval._docs" and where == info.name:
                continue  # the module's own docstring shows the syntax
            if HOLE.search(doc):
                holes.append(where)
    assert not holes, f"docstrings with an unfilled %(name)s line (add @fill_doc): {holes}"


def test_a_twin_takes_its_templates_arguments_and_refuses_others():
    def template(df, *, outcome: str, draws: int = 10) -> tuple:
        """T."""

    @signature_from(template)
    def twin(**arguments):
        """The twin's own docstring."""
        return tuple(sorted(arguments.items()))

    assert twin("d", outcome="y") == (("df", "d"), ("draws", 10), ("outcome", "y"))
    assert str(inspect.signature(twin)) == str(inspect.signature(template))
    assert twin.__name__ == "twin" and twin.__doc__ == "The twin's own docstring."
    with pytest.raises(TypeError, match=r"^twin\(\) got an unexpected keyword argument 'outcom'"):
        twin("d", outcome="y", outcom="y")
    with pytest.raises(TypeError, match=r"^twin\(\) missing a required argument: 'outcome'"):
        twin("d")


def test_package_wide_fragments_are_known_to_every_fill_doc_and_not_redefined():
    from kaizen_eval._docs import COMMON

    @fill_doc({"p": "x : int"})
    def f():
        """T.

        %(p)s

        %(returns_figure)s
        """

    assert "matplotlib.figure.Figure" in f.__doc__
    names = [i.name for i in pkgutil.walk_packages(kaizen_eval.__path__, prefix="kaizen_eval.")]
    stage_fragments = [
        importlib.import_module(name)
        for name in names
        if name.rsplit(".", 1)[-1].startswith("_docs")
    ]
    stage_fragments = [m for m in stage_fragments if isinstance(getattr(m, "DOCS", None), dict)]
    assert stage_fragments
    for module in stage_fragments:
        assert not set(module.DOCS) & set(COMMON), module.__name__


def test_a_template_with_star_arguments_or_from_another_module_is_refused():
    def loose(*args, **kwargs):
        """T."""

    with pytest.raises(TypeError, match="loose takes \\*args or \\*\\*kwargs"):
        signature_from(loose)
    with pytest.raises(TypeError, match="must be defined in one module"):
        signature_from(kaizen_eval.romano_wolf)(lambda **arguments: None)


def test_fill_doc_reaches_the_function_of_a_classmethod():
    class A:
        @fill_doc({"p": "x : int"})
        @classmethod
        def f(cls):
            """T.

            %(p)s
            """

    assert "x : int" in A.f.__doc__


def test_the_public_twins_have_their_templates_resolvable_type_hints():
    # annotations copied from the template are read in the twin's module (via __wrapped__)
    from kaizen_eval.costbenefit.metrics import breakeven_years

    twins = {
        "westfall_young": kaizen_eval.westfall_young,
        "trim": kaizen_eval.trim,
        "breakeven_years": breakeven_years,
    }
    failures = []
    for name, obj in twins.items():
        if inspect.isfunction(obj):
            try:
                typing.get_type_hints(obj)
            except Exception as e:  # report every failure at once
                failures.append(f"{name}: {e!r}")
    assert not failures, failures
