"""One analysis frame per follow-up wave, from a trial's delivered files, through the public API.

The steps are the public functions of :mod:`kaizen_eval.waves` and :mod:`kaizen_eval.scores`,
imported from those stages (never through the top-level package).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from kaizen_eval._validation import KaizenError
from kaizen_eval.scores import management_score
from kaizen_eval.waves import load_waves, operating, to_usd, value_added

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
    long = to_usd(panel.long, ["sales", "inputs"], rates=exchange_rates)
    long = value_added(long, sales="sales_usd", inputs="inputs_usd").data
    scores = management_score(long, items, id_col="firm_id", wave_col="wave").table
    score_cols = [c for c in scores.columns if c.startswith("score_")]
    long = long.merge(scores[["firm_id", "wave", *score_cols]], on=["firm_id", "wave"], how="left")
    long = long.assign(operating=operating(long))
    base = long.loc[long["wave"] == names[0], ["firm_id", *ANCOVA_OUTCOMES]]
    frame = long[long["wave"] == (wave or names[-1])].merge(
        base.rename(columns={o: f"{o}_baseline" for o in ANCOVA_OUTCOMES}),
        on="firm_id",
        how="left",
    )
    return frame.reset_index(drop=True)
