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

__all__ = ["COMMON", "fill_doc", "fragments", "signature_from"]

T = TypeVar("T")

#: Fragments of the whole package, which every :func:`fill_doc` knows besides its own.
COMMON: dict[str, str] = {
    "returns_figure": """\
Returns
-------
matplotlib.figure.Figure""",
}

_PLACEHOLDER = re.compile(r"^(?P<indent>[ \t]*)%\((?P<name>\w+)\)s[ \t]*$", re.MULTILINE)


def fragments(*parts: Mapping[str, str], **more: str) -> dict[str, str]:
    """Return one mapping of fragments from several, refusing a name defined twice.

    Parameters
    ----------
    *parts : mapping of str to str
        Fragment mappings, e.g. a stage's shared ones and a module's own.
    **more : str
        Further fragments by name.

    Returns
    -------
    dict

    Examples
    --------
    >>> sorted(fragments({"a": "x"}, b="y"))
    ['a', 'b']
    """
    out: dict[str, str] = {}
    for part in (*parts, more):
        for name, text in part.items():
            if name in out and out[name] != text:
                raise ValueError(f"docstring fragment {name!r} is defined twice, differently")
            out[name] = text
    return out


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
        doc = getattr(obj, "__doc__", None)
        if doc:
            owner = getattr(obj, "__qualname__", repr(obj))
            obj.__doc__ = _fill(doc, parts, owner)
        return obj

    return decorate


def signature_from(template: Callable[..., Any]) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Return a decorator giving a twin function the signature of ``template``.

    For two public functions that take the very same arguments (Romano–Wolf and Westfall–Young,
    say): the twin is written ``def twin(**arguments)``; the decorator binds each call to
    ``template``'s signature first — a wrong or missing argument raises the ``TypeError`` Python
    would, defaults are applied — and passes the bound arguments by name. ``inspect.signature``,
    ``help()`` and notebook completion show ``template``'s parameters.

    Parameters
    ----------
    template : callable
        The function whose parameters the twin takes.

    Returns
    -------
    callable
        The decorator.

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
    TypeError: got an unexpected keyword argument 'byy'
    """
    sig = inspect.signature(template)
    annotations = dict(getattr(template, "__annotations__", {}))

    def decorate(twin: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(twin)
        def call(*args: Any, **kwargs: Any) -> T:
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            return twin(**bound.arguments)

        call.__signature__ = sig  # type: ignore[attr-defined]
        call.__annotations__ = annotations
        del call.__wrapped__  # inspect must read __signature__, not the twin's **arguments
        return call

    return decorate
