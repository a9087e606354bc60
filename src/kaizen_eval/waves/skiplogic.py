"""A small, safe evaluator of XLSForm ``relevant`` and ``constraint`` expressions.

Real forms use a small part of XPath: ``${var}`` references, ``.`` (the answer itself),
numbers and quoted text, comparisons (``= != < <= > >=``), arithmetic (``+ - * div mod``),
``and``/``or``, parentheses and the functions ``not()``, ``selected()``, ``count-selected()``,
``string-length()``, ``number()``, ``true()`` and ``false()``. :func:`compile_expression` parses
that subset into a tree of Python closures (never ``eval``); anything else is an
:class:`~kaizen_eval.waves.errors.UnsupportedExpressionError` naming the expression and the part
not understood, so that no condition is silently ignored.

Values follow ODK: an unanswered question is the empty string, which equals only the empty
string and is neither less nor greater than anything; a comparison is numeric when both sides
are numbers (``"1"`` and ``1.0`` agree), textual otherwise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kaizen_eval.waves.errors import UnsupportedExpressionError

Row = Mapping[str, Any]
Node = Callable[[Row, Any], Any]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<ref>\$\{\s*(?P<name>[A-Za-z_][\w.\-]*)\s*\})
      | (?P<number>\d+(?:\.\d*)?|\.\d+)
      | (?P<string>'[^']*'|"[^"]*")
      | (?P<op><=|>=|!=|=|<|>|\+|-|\*|\(|\)|,)
      | (?P<word>[A-Za-z_][\w\-]*)
      | (?P<dot>\.)
    )""",
    re.VERBOSE,
)
_COMPARE = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
FUNCTIONS = (
    "not",
    "selected",
    "count-selected",
    "string-length",
    "number",
    "true",
    "false",
)


def _empty(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and v.strip() == ""


def _number(v: Any) -> float:
    if isinstance(v, bool):
        return float(v)
    if _empty(v):
        return math.nan
    if isinstance(v, (int, float)):
        return float(v)
    try:
        return float(str(v).strip())
    except ValueError:
        return math.nan


def _text(v: Any) -> str:
    if _empty(v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if hasattr(v, "item") and not isinstance(v, str):  # numpy scalars
        return _text(v.item())
    return str(v).strip()


def _truth(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return not math.isnan(v) and v != 0
    return not _empty(v)


def _compare(op: str, a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return _COMPARE[op](_truth(a), _truth(b)) if op in ("=", "!=") else False
    x, y = _number(a), _number(b)
    if not math.isnan(x) and not math.isnan(y):
        return bool(_COMPARE[op](x, y))
    if op in ("=", "!="):
        return bool(_COMPARE[op](_text(a), _text(b)))
    return False


@dataclass(frozen=True)
class Expression:
    """A compiled expression: call it with a row (name → value) and the answer (``.``)."""

    text: str
    references: frozenset[str]
    _node: Node

    def __call__(self, row: Row, value: Any = None) -> bool:
        """Evaluate to a boolean (XPath ``boolean()``) on one row."""
        return _truth(self._node(row, value))


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str]] = []
        self.refs: set[str] = set()
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                self.fail(f"cannot read {text[pos:].strip()[:20]!r}")
            assert m is not None
            kind = m.lastgroup if m.lastgroup != "name" else "ref"
            if m.group("ref"):
                self.tokens.append(("ref", m.group("name")))
            else:
                self.tokens.append((kind or "", m.group(kind or "").strip()))
            pos = m.end()
        self.i = 0

    def fail(self, why: str) -> None:
        raise UnsupportedExpressionError(f"expression {self.text!r}: {why}")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            self.fail(f"expected {value!r}" if value else "unexpected end")
        assert tok is not None
        self.i += 1
        return tok

    def parse(self) -> Expression:
        if not self.tokens:
            self.fail("empty expression")
        node = self.or_()
        if self.peek() is not None:
            self.fail(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return Expression(self.text, frozenset(self.refs), node)

    def _binary(self, sub: Callable[[], Node], ops: Mapping[str, Callable[..., Any]]) -> Node:
        node = sub()
        while (tok := self.peek()) is not None and tok[0] in ("op", "word") and tok[1] in ops:
            self.take()
            node = _bin(ops[tok[1]], node, sub())
        return node

    def or_(self) -> Node:
        return self._binary(self.and_, {"or": lambda a, b: _truth(a) or _truth(b)})

    def and_(self) -> Node:
        return self._binary(self.compare, {"and": lambda a, b: _truth(a) and _truth(b)})

    def compare(self) -> Node:
        ops = {op: (lambda o: lambda a, b: _compare(o, a, b))(op) for op in _COMPARE}
        return self._binary(self.add, ops)

    def add(self) -> Node:
        return self._binary(
            self.mul,
            {
                "+": lambda a, b: _number(a) + _number(b),
                "-": lambda a, b: _number(a) - _number(b),
            },
        )

    def mul(self) -> Node:
        def div(a: Any, b: Any) -> float:
            y = _number(b)
            return math.nan if y == 0 else _number(a) / y

        def mod(a: Any, b: Any) -> float:
            y = _number(b)
            return math.nan if y == 0 else math.fmod(_number(a), y)

        return self._binary(
            self.unary, {"*": lambda a, b: _number(a) * _number(b), "div": div, "mod": mod}
        )

    def unary(self) -> Node:
        if self.peek() == ("op", "-"):
            self.take()
            inner = self.unary()
            return lambda row, dot: -_number(inner(row, dot))
        return self.primary()

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "number":
            number = float(value)
            return lambda row, dot: number
        if kind == "string":
            text = value[1:-1]
            return lambda row, dot: text
        if kind == "ref":
            self.refs.add(value)
            return lambda row, dot: row.get(value)
        if kind == "dot":
            return lambda row, dot: dot
        if (kind, value) == ("op", "("):
            node = self.or_()
            self.take(")")
            return node
        if kind == "word":
            if self.peek() != ("op", "("):
                self.fail(f"{value!r} is not supported (only {', '.join(FUNCTIONS)}() calls)")
            if value not in FUNCTIONS:
                self.fail(f"function {value}() is not supported (only {', '.join(FUNCTIONS)})")
            self.take("(")
            args: list[Node] = []
            if self.peek() != ("op", ")"):
                args.append(self.or_())
                while self.peek() == ("op", ","):
                    self.take()
                    args.append(self.or_())
            self.take(")")
            return self.call(value, args)
        self.fail(f"unexpected {value!r}")
        raise AssertionError  # pragma: no cover

    def call(self, name: str, args: list[Node]) -> Node:
        arity = {"selected": 2, "true": 0, "false": 0}.get(name, 1)
        if len(args) != arity:
            self.fail(f"{name}() takes {arity} argument(s), got {len(args)}")
        if name == "not":
            return lambda row, dot: not _truth(args[0](row, dot))
        if name == "selected":
            return lambda row, dot: _text(args[1](row, dot)) in _text(args[0](row, dot)).split()
        if name == "count-selected":
            return lambda row, dot: float(len(_text(args[0](row, dot)).split()))
        if name == "string-length":
            return lambda row, dot: float(len(_text(args[0](row, dot))))
        if name == "number":
            return lambda row, dot: _number(args[0](row, dot))
        truth = name == "true"
        return lambda row, dot: truth


def _bin(fn: Callable[[Any, Any], Any], left: Node, right: Node) -> Node:
    return lambda row, dot: fn(left(row, dot), right(row, dot))


def compile_expression(text: str) -> Expression:
    """Parse an XLSForm expression into a callable :class:`Expression`.

    Raises
    ------
    UnsupportedExpressionError
        If the expression uses syntax or functions outside the subset (the message quotes it).

    Examples
    --------
    >>> rel = compile_expression("${uses_credit} = 1 and not(${sector} = 3)")
    >>> rel({"uses_credit": 1, "sector": "2"}), rel({"uses_credit": 1, "sector": 3})
    (True, False)
    >>> compile_expression("selected(${practices}, 'other')")({"practices": "records other"})
    True
    >>> compile_expression(". >= 0")({}, -50)
    False
    >>> compile_expression("regex(., '[0-9]+')")
    Traceback (most recent call last):
    ...
    kaizen_eval.waves.errors.UnsupportedExpressionError: expression "regex(., '[0-9]+')": \
function regex() is not supported ...
    """
    return _Parser(text).parse()
