"""Docstring fragments of randomization inference, its intervals and the step-down families.

One wording for the parameters that
:func:`~kaizen_eval.estimate.ri.randomization_inference`,
:func:`~kaizen_eval.estimate.ri_ci.randomization_ci`,
:func:`~kaizen_eval.estimate.multiple.romano_wolf` and
:func:`~kaizen_eval.estimate.multiple.westfall_young` share (filled in by
:func:`kaizen_eval._docs.fill_doc`).
"""

from __future__ import annotations

__all__ = ["DOCS"]

DOCS: dict[str, str] = {
    "params_ri_design": """\
covariates : str or sequence of str
    Covariates of the regression whose coefficient is the statistic.
strata : str, optional
    Randomization strata: assignments are permuted within them.
cluster : str, optional
    Unit of randomization: whole clusters are permuted (treatment and strata must be
    constant within a cluster).
fixed_effects : str or sequence of str, optional
    Fixed effects absorbed in the statistic's regression (often the strata).
draws : int
    Number of random assignments; if the design allows at most ``draws`` distinct
    assignments (and the treatment is binary), all of them are enumerated instead.
seed : int or numpy.random.Generator
    Seed of the draws (the global NumPy RNG is never used).""",
    "param_ri_progress": """\
progress : bool
    Show a progress bar over the blocks of draws (on standard error).""",
    "param_ri_dose": """\
dose : bool
    Declare a treatment coded other than 0/1 (doses, or several arms coded as values, which
    are permuted as they are). By default that is an error: a 0/2 coding would halve the
    reported statistic.""",
    "section_step_down_parameters": """\
Parameters
----------
df : pandas.DataFrame
outcomes : sequence of str
    The outcomes of the family. Each hypothesis uses its own non-missing rows: the
    assignment is re-drawn over every row with the design columns, and each statistic uses
    the re-drawn assignment of its observed rows (whether an outcome is observed is
    treated as unaffected by assignment, as the sharp null implies).
treatment : str or sequence of str
    The arm, or several arms (0/1 columns, e.g. a 2×2's ``["classroom", "onsite"]``) that
    form one family: their columns are re-drawn jointly (within strata, whole clusters)
    and each arm's statistic is its own column's regression (in a cross-randomized
    design, its main effect averaged over the other arm). With a list the result is
    indexed by ``treatment`` too.
%(params_ri_design)s
statistic : str
    ``"t"`` (default; HC1, or CR1 with ``cluster``) or ``"coef"``.
baseline : mapping of outcome to column(s), optional
    ANCOVA: each listed outcome's statistic controls for its own baseline value(s), each with
    McKenzie's dummy for a missing baseline, exactly as ``itt(..., baseline=...)`` does.
%(param_ri_progress)s
%(param_ri_dose)s
by : str, optional
    A baseline subgroup column: one hypothesis per subgroup (indexed by it too).""",
    "example_step_down_family": """\
>>> import numpy as np, pandas as pd
>>> import kaizen_eval as ke
>>> rng = np.random.default_rng(0)
>>> t = np.repeat([0, 1], 50)
>>> df = pd.DataFrame({"t": t, "a": t + rng.normal(size=100), "b": rng.normal(size=100)})""",
}
