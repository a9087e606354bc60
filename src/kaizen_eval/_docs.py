r"""Shared numpydoc fragments: one wording for a parameter or section that many functions share.

A docstring line that holds nothing but ``%(name)s`` is replaced, when the module is imported, by
the fragment ``name`` of the mapping given to :func:`fill_doc`, indented as the placeholder is.
The fragments live beside the functions that use them (``estimate/_docs.py``, say), so that the
wording of ``cluster`` or of a figure's ``Returns`` is written once and cannot drift, while
``help()``, the HTML docs and the doctests all see the whole text.

Examples
--------
>>> FRAGMENTS = {"n_param": "n : int\n    Number of draws."}
>>> @fill_doc(FRAGMENTS)
... def draw(n: int) -> int:
...     '''Draw.
...
...     Parameters
...     ----------
...     %(n_param)s
...     '''
...     return n
>>> print(draw.__doc__.splitlines()[-2].strip())
Number of draws.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

__all__ = ["COMMON", "fill_doc", "signature_from"]

T = TypeVar("T")

#: Fragments of the whole package, which every :func:`fill_doc` knows besides its own.
COMMON: dict[str, str] = {
    "returns_figure": """\
Returns
-------
matplotlib.figure.Figure""",
    "param_overwrite_folder": """\
overwrite : bool, default False
    Replace an existing non-empty folder; otherwise it is an ``OutputExistsError`` and nothing
    is written.""",
    "returns_files_written": """\
Returns
-------
dict
    File name → path written.""",
}

_PLACEHOLDER = re.compile(r"^(?P<indent>[ \t]*)%\((?P<name>\w+)\)s[ \t]*$", re.MULTILINE)


def _fill(doc: str, parts: Mapping[str, str], owner: str) -> str:
    def one(m: re.Match[str]) -> str:
        name, indent = m.group("name"), m.group("indent")
        text = parts.get(name, COMMON.get(name))
        if text is None:
            raise KeyError(f"{owner}: no docstring fragment named {name!r}")
        text = _fill(text, parts, owner)
        return "\n".join(indent + line if line.strip() else "" for line in text.splitlines())

    return _PLACEHOLDER.sub(one, doc)


def fill_doc(parts: Mapping[str, str] = COMMON) -> Callable[[T], T]:
    r"""Return a decorator that fills the ``%(name)s`` lines of a docstring from ``parts``.

    Parameters
    ----------
    parts : mapping of str to str, default :data:`COMMON`
        Fragment name → text, written flush left (continuation lines indented as in numpydoc).
        A fragment may itself hold placeholder lines. The package-wide :data:`COMMON` fragments
        (a figure's ``Returns``) are known whatever ``parts`` is.

    Returns
    -------
    callable
        The decorator; it returns the function or class it is given, its ``__doc__`` filled.

    Raises
    ------
    KeyError
        A placeholder names no fragment (at import time, naming the function).

    Examples
    --------
    >>> @fill_doc({"ret": "Returns\n-------\nfloat"})
    ... def half(x: float) -> float:
    ...     '''Half of ``x``.
    ...
    ...     %(ret)s
    ...     '''
    ...     return x / 2
    >>> "float" in half.__doc__
    True
    """

    def decorate(obj: T) -> T:
        target = getattr(obj, "__func__", obj)  # a classmethod or staticmethod: its function
        doc = getattr(target, "__doc__", None)
        if doc:
            owner = getattr(target, "__qualname__", repr(target))
            target.__doc__ = _fill(doc, parts, owner)
        return obj

    return decorate


def signature_from(template: Callable[..., Any]) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Return a decorator giving a twin function the signature of ``template``.

    For two public functions of one module that take the very same arguments (Romano–Wolf and
    Westfall–Young, say): the twin is written ``def twin(**arguments)``; the decorator binds each
    call to ``template``'s signature first — a wrong or missing argument raises the ``TypeError``
    Python would, naming the twin; defaults are applied — and passes the bound arguments by
    name. ``inspect.signature``, ``help()``, ``typing.get_type_hints`` and notebook completion
    show ``template``'s parameters and return type. Put :func:`fill_doc`, if any, above it.

    Parameters
    ----------
    template : callable
        The function whose parameters the twin takes: of the twin's module, with named
        parameters only (no ``*args`` or ``**kwargs``).

    Returns
    -------
    callable
        The decorator.

    Raises
    ------
    TypeError
        ``template`` takes ``*args`` or ``**kwargs``, or lives in another module than the twin
        (its annotations are read in the twin's module).

    Examples
    --------
    >>> def scaled(x: float, *, by: float = 2.0) -> float:
    ...     return x * by
    >>> @signature_from(scaled)
    ... def shifted(**arguments: float) -> float:
    ...     return arguments["x"] + arguments["by"]
    >>> shifted(1.0), list(inspect.signature(shifted).parameters)
    (3.0, ['x', 'by'])
    >>> shifted(1.0, byy=3)
    Traceback (most recent call last):
    TypeError: shifted() got an unexpected keyword argument 'byy'
    """
    sig = inspect.signature(template)
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    if any(p.kind in variadic for p in sig.parameters.values()):
        raise TypeError(f"signature_from: {template.__qualname__} takes *args or **kwargs")
    annotations = dict(getattr(template, "__annotations__", {}))

    def decorate(twin: Callable[..., T]) -> Callable[..., T]:
        if twin.__module__ != template.__module__:
            raise TypeError(
                f"signature_from: {twin.__qualname__} and its template {template.__qualname__} "
                "must be defined in one module"
            )

        @functools.wraps(twin)  # __wrapped__ = twin: get_type_hints reads the module's names
        def call(*args: Any, **kwargs: Any) -> T:
            try:
                bound = sig.bind(*args, **kwargs)
            except TypeError as e:
                raise TypeError(f"{twin.__name__}() {e}") from None
            bound.apply_defaults()
            return twin(**bound.arguments)

        call.__signature__ = sig  # type: ignore[attr-defined]  # read before __wrapped__
        call.__annotations__ = annotations
        return call

    return decorate
