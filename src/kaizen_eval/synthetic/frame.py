"""One analysis frame per follow-up wave, from a trial's delivered files, through the public API.

The steps are those of the plan runner (:mod:`kaizen_eval.scores.frame`, the one analysis-frame
builder), imported from their stages (never through the top-level package).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from kaizen_eval._validation import KaizenError
from kaizen_eval.scores.frame import attach_baselines, derive_long
from kaizen_eval.waves import load_waves

#: Outcomes that have a baseline value (ANCOVA controls ``<outcome>_baseline``).
ANCOVA_OUTCOMES = ("value_added", "score_overall")


def analysis_frame(
    waves: Mapping[str, Any],
    *,
    codebook: Any,
    exchange_rates: pd.DataFrame,
    items: pd.DataFrame,
    wave: str | None = None,
) -> pd.DataFrame:
    """Return one row per firm of ``wave`` with USD value added, scores, survival and baselines.

    The steps are the loader's: harmonize the waves with the codebook, convert sales and inputs
    to USD with each wave's rate, value added = sales − inputs, management scores (share of
    practices adopted), ``operating`` from the interview status; then the first wave's
    ``value_added`` and ``score_overall`` are attached as ``<outcome>_baseline``.

    Parameters
    ----------
    waves : mapping of wave name to DataFrame or path
        In survey order; the first is the baseline.
    codebook, exchange_rates, items
        As delivered with the trial (see ``docs/data_schema.md``).
    wave : str, optional
        The wave to analyse (default: the last).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> from kaizen_eval.synthetic import simulate_trial
    >>> t = simulate_trial("ghana", seed=1)
    >>> df = analysis_frame(t.waves, codebook=t.codebook, exchange_rates=t.exchange_rates,
    ...                     items=t.items)
    >>> len(df) == t.n_firms, "value_added_baseline" in df
    (True, True)
    """
    names = list(waves)
    if wave is not None and wave not in names:
        raise KaizenError(f"wave {wave!r} is not one of the trial's waves {names}.")
    panel = load_waves(dict(waves), id_col="firm_id", codebook=codebook)
    long, _ = derive_long(
        panel.long,
        currency_columns=["sales", "inputs"],
        exchange_rates=exchange_rates,
        value_added=True,
        items=items,
    )
    frame = long[long["wave"] == (wave or names[-1])]
    frame = attach_baselines(long, frame, ANCOVA_OUTCOMES, id_col="firm_id", baseline_wave=names[0])
    return frame.reset_index(drop=True)
