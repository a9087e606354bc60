"""Management-practice scores: the share of practices adopted, per domain and overall."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError, check_option
from kaizen_eval.scores._answers import binary_answers, check_keys, item_domains

Overall = Literal["items", "domains"]
OVERALL: tuple[Overall, ...] = get_args(Overall)


@dataclass(frozen=True)
class ShareCore:
    """Shares of adopted practices per group of items.

    Attributes
    ----------
    share : numpy.ndarray, shape (n, g)
        Adopted / answered items of each group; NaN where no item of the group is answered.
    answered : numpy.ndarray, shape (n, g)
        Number of answered items of each group.
    """

    share: np.ndarray
    answered: np.ndarray


def share_core(answers: np.ndarray, groups: list[np.ndarray], min_answered: int = 1) -> ShareCore:
    """Share of 1s among the non-missing answers of each group of columns.

    Parameters
    ----------
    answers : numpy.ndarray, shape (n, k)
        0/1 answers, NaN where missing.
    groups : list of numpy.ndarray
        Column indices of each group.
    min_answered : int, default 1
        Fewest answered items for a share to be computed (NaN below).

    Returns
    -------
    ShareCore

    Examples
    --------
    >>> a = np.array([[1.0, 0.0, np.nan], [np.nan, np.nan, np.nan]])
    >>> r = share_core(a, [np.array([0, 1, 2])])
    >>> r.share.ravel().tolist(), r.answered.ravel().tolist()
    ([0.5, nan], [2, 0])
    """
    n = answers.shape[0]
    share = np.full((n, len(groups)), np.nan)
    answered = np.zeros((n, len(groups)), dtype=np.int64)
    for g, cols in enumerate(groups):
        block = answers[:, cols]
        seen = ~np.isnan(block)
        count = seen.sum(axis=1)
        total = np.where(seen, block, 0.0).sum(axis=1)
        ok = count >= max(min_answered, 1)
        share[ok, g] = total[ok] / count[ok]
        answered[:, g] = count
    return ShareCore(share=share, answered=answered)


@dataclass(frozen=True, repr=False)
class ManagementScores:
    """Management-practice scores of each firm (and wave).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per input row, in input order: the id (and wave) columns, then ``score_overall``
        and ``n_answered_overall``, then ``score_<domain>`` and ``n_answered_<domain>`` for each
        domain in the order of the item table. Scores are shares in [0, 1]; NaN where no item was
        answered.
    unscored : pandas.DataFrame
        Every firm (and wave) × domain (or ``"overall"``) left without a score, with a ``reason``.
    items : pandas.DataFrame
        The item table used (``item``, ``domain``).
    overall : str
        How ``score_overall`` was formed (``"items"`` or ``"domains"``).
    """

    table: pd.DataFrame
    unscored: pd.DataFrame
    items: pd.DataFrame
    overall: str

    def __repr__(self) -> str:
        domains = self.items["domain"].nunique()
        return (
            f"ManagementScores({len(self.table)} rows, {len(self.items)} items in {domains} "
            f"domains, {len(self.unscored)} unscored firm-domain pairs)"
        )


def management_score(
    df: pd.DataFrame,
    items: pd.DataFrame | Mapping[str, str],
    *,
    id_col: str = "firm_id",
    wave_col: str | None = None,
    overall: Overall = "items",
    min_answered: int = 1,
) -> ManagementScores:
    r"""Turn 0/1 practice items into the share of practices adopted, per domain and overall.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per firm (per wave if ``wave_col``), with one 0/1 column per item (missing allowed;
        booleans accepted).
    items : pandas.DataFrame or Mapping
        The item table (columns ``item`` and ``domain``, e.g. ``trial.items``), or a mapping
        item → domain.
    id_col : str, default "firm_id"
        Firm identifier; unique within a wave.
    wave_col : str, optional
        Wave column of a long panel; kept in the output.
    overall : {"items", "domains"}, default "items"
        ``"items"``: the overall score is the share of all answered items adopted;
        ``"domains"``: the mean of the available domain scores (each domain weighs the same).
    min_answered : int, default 1
        A domain score needs at least this many answered items of the domain (the overall score
        with ``overall="items"``, this many answered items in all); otherwise it is NaN and the
        firm is listed in ``.unscored``.

    Returns
    -------
    ManagementScores
        ``.table`` with the scores and the number of answered items, ``.unscored`` listing every
        firm (and wave) and domain without a score.

    Raises
    ------
    MissingColumnError
        If an item, ``id_col`` or ``wave_col`` is not in ``df``.
    KaizenError
        If an item holds something other than 0/1 (the message names the column and firms), a firm
        appears twice (in a wave), or the item table is malformed.

    Notes
    -----
    For firm :math:`i` and domain :math:`d` with answered items :math:`A_{id}`,

    .. math:: \text{score}_{id} = \frac{1}{|A_{id}|} \sum_{j \in A_{id}} y_{ij},

    and NaN when :math:`A_{id}` is empty. Unanswered items are thus treated as missing at random
    within the domain (the share over answered items), never as "not adopted"; the number of
    answered items is reported next to each score so that users can require a minimum.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"firm_id": ["A", "B"], "q1": [1, 0], "q2": [0, None], "q3": [1, None]})
    >>> s = management_score(df, {"q1": "5s", "q2": "5s", "q3": "records"})
    >>> s.table[["firm_id", "score_overall", "score_5s", "score_records"]]
      firm_id  score_overall  score_5s  score_records
    0       A       0.666667       0.5            1.0
    1       B       0.000000       0.0            NaN
    >>> s.unscored
      firm_id   domain             reason
    0       B  records  no answered items
    """
    check_option("overall", overall, OVERALL)
    if isinstance(min_answered, bool) or not isinstance(min_answered, int) or min_answered < 1:
        raise KaizenError(
            f"`min_answered` must be an integer of at least 1. You passed: {min_answered!r}."
        )
    table = item_domains(items)
    check_keys(df, id_col, wave_col)
    names = table["item"].tolist()
    answers = binary_answers(df, names, id_col)
    domains = list(dict.fromkeys(table["domain"]))
    dom = table["domain"].to_numpy()
    groups = [np.flatnonzero(dom == d) for d in domains]
    largest = max(len(g) for g in groups)
    if min_answered > largest:
        raise KaizenError(
            f"`min_answered` is {min_answered}, but the largest domain has {largest} item(s): "
            "no firm could get a domain score; lower it"
        )
    per_domain = share_core(answers, groups, min_answered)
    pooled = share_core(answers, [np.arange(len(names))], min_answered)
    if overall == "items":
        overall_score = pooled.share[:, 0]
    else:
        have = ~np.isnan(per_domain.share)
        overall_score = np.full(len(df), np.nan)
        ok = have.any(axis=1)
        overall_score[ok] = np.where(have, per_domain.share, 0.0)[ok].sum(axis=1) / have[ok].sum(
            axis=1
        )

    keys = [id_col] + ([wave_col] if wave_col is not None else [])
    out = df[keys].reset_index(drop=True)
    out["score_overall"] = overall_score
    out["n_answered_overall"] = pooled.answered[:, 0]
    for g, d in enumerate(domains):
        out[f"score_{d}"] = per_domain.share[:, g]
        out[f"n_answered_{d}"] = per_domain.answered[:, g]

    rows = []
    for label, score, count in [("overall", overall_score, pooled.answered[:, 0])] + [
        (d, per_domain.share[:, g], per_domain.answered[:, g]) for g, d in enumerate(domains)
    ]:
        gone = np.flatnonzero(np.isnan(score))
        if gone.size:
            part = out.loc[gone, keys].copy()
            part["domain"] = label
            part["reason"] = np.where(
                count[gone] == 0,
                "no answered items",
                f"fewer than {min_answered} answered items",
            )
            if label == "overall" and overall == "domains":
                part["reason"] = "no domain scored"
            rows.append(part)
    columns = [*keys, "domain", "reason"]
    unscored = (pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=columns))[
        columns
    ]
    return ManagementScores(table=out, unscored=unscored, items=table, overall=overall)
