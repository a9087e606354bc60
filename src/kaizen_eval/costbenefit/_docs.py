"""Docstring fragments shared by the cost-benefit functions (see :mod:`kaizen_eval._docs`)."""

from __future__ import annotations

DOCS: dict[str, str] = {
    "param_cost_at_zero": """\
cost : float
    Cost at ``t = 0``.""",
    "param_yearly_gains": """\
gains : array-like, shape (T,)
    Gains at the end of years ``1..T``.""",
    "param_discount_rate": """\
discount_rate : float
    Annual discount rate.""",
    "param_base_result": """\
cb : CostBenefit
    The base result.""",
    "param_wtp_frame": """\
df : pandas.DataFrame
    One row per firm with the highest price accepted in ``wtp``.""",
    "param_wtp_column": """\
wtp : str
    Column of the highest price accepted (USD).""",
    "param_wtp_dropna": """\
dropna : bool
    Leave out firms without an answer (otherwise they raise).""",
    "param_ax": """\
ax : matplotlib.axes.Axes, optional
    Where to draw; a new figure otherwise (no pyplot state is touched).""",
}
