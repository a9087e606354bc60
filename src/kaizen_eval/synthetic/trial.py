"""The frozen :class:`Trial` returned by :func:`~kaizen_eval.synthetic.simulate_trial`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from kaizen_eval._atomic import atomic_folder
from kaizen_eval._docs import fill_doc
from kaizen_eval.waves.export import platform_delivery
from kaizen_eval.waves.io import write_table


@dataclass(frozen=True, repr=False, eq=False)
class Trial:
    """A synthetic randomized trial with known truth.

    Attributes
    ----------
    site : str
        ``"ghana"``, ``"tanzania"``, ``"vietnam"`` or ``"ethiopia"``.
    seed : int or None
        The seed it was drawn with (``None`` when a Generator was passed).
    n_firms : int
        Number of sampled firms (every one appears in every wave, with a ``status``).
    spillover : float
        Share of each firm's own classroom effect accruing to non-participants at the follow-up.
    waves : Mapping[str, pandas.DataFrame]
        Wave name → the file as the survey team delivers it (local currency, delivered column
        names; see ``codebook``), in survey order.
    codebook : pandas.DataFrame
        Columns ``wave``, ``source``, ``name``, ``recode`` (JSON or missing): harmonizes the waves
        to the names of ``docs/data_schema.md``.
    exchange_rates : pandas.DataFrame
        Columns ``wave``, ``currency``, ``usd_per_unit``.
    items : pandas.DataFrame
        Management items: ``item``, ``domain``, ``source`` (``visual``/``interview``), ``label``.
    firms : pandas.DataFrame
        The latent firm table (potential outcomes in USD, compliance types, survival types) that
        the truth is computed from; for tests, never for analysis.
    truth : Mapping[str, float]
        The true estimands; keys are documented in
        :func:`~kaizen_eval.synthetic.simulate_trial`.

    Examples
    --------
    >>> from kaizen_eval.synthetic import simulate_trial
    >>> t = simulate_trial("ghana", seed=1)
    >>> list(t.waves), t.truth["late_value_added"]
    (['baseline', 'followup'], 13890.0)
    """

    site: str
    seed: int | None
    n_firms: int
    spillover: float
    waves: Mapping[str, pd.DataFrame]
    codebook: pd.DataFrame
    exchange_rates: pd.DataFrame
    items: pd.DataFrame
    firms: pd.DataFrame
    truth: Mapping[str, float]

    def __post_init__(self) -> None:
        object.__setattr__(self, "waves", MappingProxyType(dict(self.waves)))
        object.__setattr__(self, "truth", MappingProxyType(dict(self.truth)))

    def __repr__(self) -> str:
        waves = ", ".join(f"{w}: {len(df)} rows" for w, df in self.waves.items())
        return f"Trial(site={self.site!r}, n_firms={self.n_firms}, seed={self.seed}, {waves})"

    def analysis_frame(self, wave: str | None = None) -> pd.DataFrame:
        """Return one row per firm of ``wave`` (default: the last), ready for the estimators.

        See :func:`~kaizen_eval.synthetic.frame.analysis_frame` for the steps and columns.

        Examples
        --------
        >>> from kaizen_eval.synthetic import simulate_trial
        >>> df = simulate_trial("tanzania", seed=2).analysis_frame()
        >>> {"value_added", "value_added_baseline", "operating", "onsite"} <= set(df.columns)
        True
        """
        from kaizen_eval.synthetic.frame import analysis_frame

        return analysis_frame(
            self.waves,
            codebook=self.codebook,
            exchange_rates=self.exchange_rates,
            items=self.items,
            wave=wave,
        )

    @fill_doc()
    def write(
        self,
        directory: str | Path,
        *,
        overwrite: bool = False,
        flag: str = "overwrite=True",
        platform: str | None = None,
    ) -> dict[str, Path]:
        """Write the trial as a survey team's delivery plus its truth.

        Files: ``<wave>.parquet`` per wave, ``truth.json``, ``meta.json`` (site, seed, n_firms,
        spillover, wave order), ``codebook.csv``, ``exchange_rates.csv`` and ``items.csv``. The
        bytes are a function of the trial alone (Parquet bytes also embed the writer's version).

        Parameters
        ----------
        directory : str or pathlib.Path
            Created if needed. It is built aside and renamed into place once every file is
            written, so an interrupted write never leaves a partial trial.
        %(param_overwrite_folder)s
        flag : str
            How the caller spells "overwrite" in that error (``"--force"`` on the command line).
        platform : {"surveycto", "odk", "kobo"}, optional
            Also write each wave as that platform delivers it: ``<wave>_form.xlsx`` (its
            XLSForm) and ``<wave>_<platform>.csv`` (its export), which
            ``ke.load_waves(..., form=..., platform=...)`` reads back into the same panel
            (see :func:`kaizen_eval.waves.export.platform_delivery`).

        %(returns_files_written)s

        Examples
        --------
        >>> import tempfile
        >>> from kaizen_eval.synthetic import simulate_trial
        >>> with tempfile.TemporaryDirectory() as d:
        ...     sorted(simulate_trial("ghana", n_firms=60).write(d))[:3]
        ['baseline.parquet', 'codebook.csv', 'exchange_rates.csv']
        """
        out = Path(directory)
        written: dict[str, Path] = {}
        meta = {
            "site": self.site,
            "seed": self.seed,
            "n_firms": self.n_firms,
            "spillover": self.spillover,
            "waves": list(self.waves),
        }
        with atomic_folder(out, overwrite=overwrite, flag=flag) as tmp:
            for wave, df in self.waves.items():
                name = f"{wave}.parquet"
                # synthetic baselines legitimately hold (fake) personal data
                write_table(df, tmp / name, allow_pii=True)
                written[name] = out / name
            # the codebook's "name" column holds variable names, not people's names
            for name, table, allow in (
                ("codebook.csv", self.codebook, ["name"]),
                ("exchange_rates.csv", self.exchange_rates, []),
                ("items.csv", self.items, []),
            ):
                write_table(table, tmp / name, allow_pii=allow)
                written[name] = out / name
            if platform is not None:
                for wave, d in platform_delivery(self.waves, platform=platform).items():
                    form, export = f"{wave}_form.xlsx", f"{wave}_{platform}.csv"
                    d.write(tmp / form, tmp / export, allow_pii=True)
                    written[form], written[export] = out / form, out / export
            for name, obj in (("truth.json", dict(self.truth)), ("meta.json", meta)):
                (tmp / name).write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")
                written[name] = out / name
        return written
