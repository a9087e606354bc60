"""The management-practice items of the synthetic trials (a simplified Bloom–Van Reenen score).

Twenty 0/1 items ``mp_01`` … ``mp_20`` in four domains; 13 of them (more than half) are scored by
the enumerator's visual inspection of the workshop, the rest come from the interview. Kaizen-type
domains (``kaizen_5s``, ``quality_control``) respond mostly to on-site training; BDS-type domains
(``record_keeping``, ``marketing``) respond to classroom training, more so for owners with more
schooling.
"""

from __future__ import annotations

import pandas as pd

DOMAINS = ("kaizen_5s", "quality_control", "record_keeping", "marketing")
BDS_DOMAINS = ("record_keeping", "marketing")

# item, domain, source, label, difficulty (higher: adopted less often at baseline)
_ITEMS: tuple[tuple[str, str, str, str, float], ...] = (
    ("mp_01", "kaizen_5s", "visual", "Tools kept in designated places", 0.0),
    ("mp_02", "kaizen_5s", "visual", "Floor free of scrap and waste", 0.3),
    ("mp_03", "kaizen_5s", "visual", "Work areas and shelves labelled", 1.2),
    ("mp_04", "kaizen_5s", "visual", "Unneeded items removed from work area", 0.6),
    ("mp_05", "kaizen_5s", "visual", "Cleaning schedule posted", 1.5),
    ("mp_06", "kaizen_5s", "interview", "Workers do a daily 5S routine", 1.0),
    ("mp_07", "quality_control", "visual", "Defective products kept apart", 0.5),
    ("mp_08", "quality_control", "interview", "Products inspected at each stage", 0.8),
    ("mp_09", "quality_control", "visual", "Record of defects kept", 1.4),
    ("mp_10", "quality_control", "visual", "Quality standards posted", 1.6),
    ("mp_11", "record_keeping", "visual", "Sales book kept", 0.2),
    ("mp_12", "record_keeping", "visual", "Purchase records kept", 0.5),
    ("mp_13", "record_keeping", "interview", "Profit computed every month", 1.1),
    ("mp_14", "record_keeping", "interview", "Business and household cash kept apart", 0.7),
    ("mp_15", "record_keeping", "visual", "Inventory records kept", 1.3),
    ("mp_16", "marketing", "visual", "Signboard outside the workshop", 0.1),
    ("mp_17", "marketing", "visual", "Products or samples displayed", 0.4),
    ("mp_18", "marketing", "interview", "Customers asked about satisfaction", 0.9),
    ("mp_19", "marketing", "interview", "Business advertised", 1.2),
    ("mp_20", "marketing", "interview", "Competitors' prices compared", 0.8),
)


def item_table() -> pd.DataFrame:
    """Return the item table: ``item``, ``domain``, ``source``, ``label``.

    Returns
    -------
    pandas.DataFrame
        One row per item, in column order of the waves.

    Examples
    --------
    >>> t = item_table()
    >>> (t["source"] == "visual").mean() > 0.5
    np.True_
    """
    return pd.DataFrame(
        {
            "item": [r[0] for r in _ITEMS],
            "domain": [r[1] for r in _ITEMS],
            "source": [r[2] for r in _ITEMS],
            "label": [r[3] for r in _ITEMS],
        }
    )


def item_difficulty() -> tuple[float, ...]:
    """Return the baseline difficulty of each item (same order as :func:`item_table`)."""
    return tuple(r[4] for r in _ITEMS)
