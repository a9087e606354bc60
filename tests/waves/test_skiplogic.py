"""The XLSForm expression evaluator: each construct against the value ODK gives it."""

import math

import pytest

from kaizen_eval.waves.errors import UnsupportedExpressionError
from kaizen_eval.waves.skiplogic import compile_expression


@pytest.mark.parametrize(
    ("text", "row", "dot", "expected"),
    [
        ("${a} = 1", {"a": 1}, None, True),
        ("${a} = 1", {"a": "1"}, None, True),
        ("${a} = 1", {"a": 1.0}, None, True),
        ("${a} = 1", {"a": None}, None, False),
        ("${a} != 1", {"a": None}, None, True),
        ("${a} = ''", {"a": None}, None, True),
        ("${a} = ''", {"a": math.nan}, None, True),
        ("${a} > 3", {"a": None}, None, False),
        ("${a} < 3", {"a": None}, None, False),
        ("${a} >= 3 and ${a} <= 5", {"a": 5}, None, True),
        ("${a} > 3 or ${b} = 'yes'", {"a": 1, "b": "yes"}, None, True),
        ("${a} > 3 or ${b} = 'yes'", {"a": 1, "b": "no"}, None, False),
        ("not(${a} = 3)", {"a": 3}, None, False),
        ('${s} = "retail"', {"s": "retail"}, None, True),
        ("selected(${p}, 'stock')", {"p": "records stock"}, None, True),
        ("selected(${p}, 'stock')", {"p": "records"}, None, False),
        ("selected(${p}, 'stock')", {"p": None}, None, False),
        ("count-selected(${p}) >= 2", {"p": "records stock"}, None, True),
        ("string-length(${t}) > 0", {"t": "x"}, None, True),
        ("${a} + ${b} * 2 = 7", {"a": 1, "b": 3}, None, True),
        ("(${a} + ${b}) * 2 = 8", {"a": 1, "b": 3}, None, True),
        ("${a} div 2 = 2.5 and ${a} mod 2 = 1", {"a": 5}, None, True),
        ("-${a} < 0", {"a": 5}, None, True),
        ("number(${a}) > 2", {"a": "3"}, None, True),
        (". >= 0", {}, -50.0, False),
        (". >= 0", {}, 0.0, True),
        (". >= 0 and . < 500", {}, 500, False),
        (". > ${a}", {"a": 10}, 11, True),
        ("true()", {}, None, True),
        ("false() or true() and false()", {}, None, False),
        ("${a} and ${b}", {"a": "x", "b": ""}, None, False),
    ],
)
def test_values(text, row, dot, expected):
    assert compile_expression(text)(row, dot) is expected


def test_references_are_listed():
    expr = compile_expression("${uses_credit} = 1 and not(${sector} = 3)")
    assert expr.references == frozenset({"uses_credit", "sector"})


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("regex(., '[0-9]+')", "function regex"),
        ("${a} = ", "unexpected end"),
        ("${a} = 1)", "unexpected"),
        ("if(${a} = 1, 2, 3)", "function if"),
        ("${a} = 1 ; drop", "cannot read"),
        ("selected(${a})", "takes 2 argument"),
        ("", "empty"),
        ("__import__('os')", "function __import__"),
        ("${a} = b", "'b' is not supported"),
    ],
)
def test_unsupported_expressions_are_refused_with_the_text(text, match):
    with pytest.raises(UnsupportedExpressionError, match=match):
        compile_expression(text)
