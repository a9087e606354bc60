"""The checks of an analysis plan's values: each names the plan key at fault.

Types, finite numbers within bounds, whole numbers never rounded, column lists, choices from a
``Literal``, unknown keys (with the closest valid one) and data paths kept inside the plan's
folder. :mod:`kaizen_eval.pipeline.plan` builds the plan's dataclasses with them.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

from kaizen_eval._validation import KaizenError, check_seed


class PlanError(KaizenError):
    """An analysis plan that cannot be used; the message names the key at fault."""


class PlanPathError(PlanError):
    """A data path of the plan that points outside the plan's folder (and the data root)."""


def _read_plan_file(path: str | Path, missing: str, unreadable: str) -> tuple[Path, str]:
    """Return ``(path, text)`` of a TOML plan file, else the errors a plan file gets.

    ``missing`` names the file in the ``FileNotFoundError`` (``"analysis plan"``);
    ``unreadable`` is the ``PlanError`` for a file that is not UTF-8 text, with ``{path}``.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{missing} not found: {p}")
    try:
        return p, p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PlanError(unreadable.format(path=repr(str(p)))) from None


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _contained(value: str, key: str, base: Path, roots: tuple[Path, ...]) -> Path:
    """Resolve a plan's data path against ``base``; refuse it if it leaves every root.

    Symbolic links are followed before the check, so a link inside the folder that points
    outside is refused too. The message never shows the file's content.
    """
    if "\x00" in value or not value.strip():
        raise PlanPathError(f"plan key {key!r} must be a file path; it is {value!r}.")
    resolved = (base / value).resolve()
    if not any(_inside(resolved, r) for r in roots):
        allowed = " or ".join(repr(str(r)) for r in roots)
        raise PlanPathError(
            f"plan key {key!r} is {value!r}, which points outside the plan's folder "
            f"({allowed}). Move the file into the plan's folder, or allow its folder "
            "explicitly (data_root= / --data-root)."
        )
    return resolved


def _suggest(key: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(key, valid, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def _check_keys(table: Mapping[str, Any], valid: list[str], where: str) -> None:
    for key in table:
        if key not in valid:
            raise PlanError(
                f"unknown key '{where}{key}' in the plan.{_suggest(key, valid)} "
                f"Valid keys here: {', '.join(valid)}."
            )


def _get(
    table: Mapping[str, Any],
    key: str,
    kind: type | tuple[type, ...],
    where: str,
    default: Any = ...,
) -> Any:
    if key not in table:
        if default is ...:
            raise PlanError(f"the plan is missing the required key '{where}{key}'.")
        return default
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise PlanError(
            f"plan key '{where}{key}' must be a {names}; it is {type(value).__name__} {value!r}."
        )
    return value


def _number(
    table: Mapping[str, Any],
    key: str,
    where: str,
    default: Any = ...,
    *,
    least: float | None = None,
    below: float | None = None,
    at_most: float | None = None,
    positive: bool = False,
) -> Any:
    """Return a finite number within bounds (TOML allows ``nan`` and ``inf``: refused)."""
    value = _get(table, key, float, where, default)
    if value is None or key not in table:
        return value
    bounds = []
    if positive:
        bounds.append(("> 0", value > 0))
    if least is not None:
        bounds.append((f">= {least:g}", value >= least))
    if below is not None:
        bounds.append((f"< {below:g}", value < below))
    if at_most is not None:
        bounds.append((f"<= {at_most:g}", value <= at_most))
    if not math.isfinite(value) or not all(ok for _, ok in bounds):
        what = " and ".join(b for b, _ in bounds) or "finite"
        raise PlanError(f"plan key '{where}{key}' must be a finite number {what}; it is {value!r}.")
    return value


def _whole(
    table: Mapping[str, Any], key: str, where: str, default: Any = ..., *, least: int = 0
) -> Any:
    """Return a whole number ``>= least``: ``2.0`` is 2, ``2.9`` an error (never cut)."""
    value = _get(table, key, (int, float), where, default)
    if value is None or key not in table:
        return value
    if isinstance(value, float):
        if not (math.isfinite(value) and value.is_integer()):
            raise PlanError(
                f"plan key '{where}{key}' must be a whole number (>= {least}); it is {value!r}, "
                "which would have to be rounded."
            )
        value = int(value)
    if value < least:
        raise PlanError(f"plan key '{where}{key}' must be an integer >= {least}; it is {value!r}.")
    return value


def _str_list(table: Mapping[str, Any], key: str, where: str, default: Any = ...) -> tuple:
    value = _get(table, key, (list, str), where, default)
    items = [value] if isinstance(value, str) else list(value)
    for v in items:
        if not isinstance(v, str) or not v:
            raise PlanError(f"plan key '{where}{key}' must list column names; found {v!r}.")
    return tuple(items)


def _choice(value: Any, allowed: Any, key: str) -> Any:
    options = get_args(allowed)
    if value not in options:
        raise PlanError(
            f"plan key {key!r} must be one of {', '.join(map(repr, options))}; "
            f"it is {value!r}.{_suggest(str(value), [str(o) for o in options])}"
        )
    return value


def _distinct(earlier: list[str], value: str, key: str, whose: str, rule: str) -> None:
    """Refuse a name or label that repeats an earlier one (``whose``), stating the ``rule``."""
    if value in earlier:
        raise PlanError(f"plan key {key!r} is {value!r}, the {whose}; {rule}")


def _known_wave(value: str, key: str, waves: Mapping[str, Any]) -> None:
    """Refuse a wave name that is not among the data's waves (``data.waves``)."""
    if value not in waves:
        raise PlanError(
            f"plan key '{key}' is {value!r}, not one of the waves in 'data.waves' "
            f"({', '.join(waves)})."
        )


def _empty(key: str) -> Any:
    raise PlanError(f"plan key {key!r} must not be empty.")


def _seed(e: Mapping[str, Any]) -> int:
    value = e.get("seed", 0)
    try:
        return int(check_seed("estimate.seed", value, generator=False))
    except KaizenError as err:
        raise PlanError(f"plan key {err}") from None


def _amounts(table: Mapping[str, Any], key: str, where: str) -> dict[str, float]:
    raw = _get(table, key, dict, where, {})
    return {str(k): _number(raw, k, f"{where}{key}.", least=0.0) for k in raw}


def _table(raw: Mapping[str, Any], key: str, required: bool = True) -> dict[str, Any]:
    return _get(raw, key, dict, "", ... if required else {})
