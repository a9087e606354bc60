"""The synthetic trials bundled in ``data/synthetic/<site>/``: load, find and regenerate them.

Seeds: Ghana 21, the first seed whose simple Wald estimate on the bundled sample is "marginally
significant" like the published one (t between 1.7 and 2.0; it is 1.81); every other site 0.
Default sample sizes and no spillover.
"""

from __future__ import annotations

from pathlib import Path

from kaizen_eval._validation import check_option
from kaizen_eval.synthetic.simulate import simulate_trial
from kaizen_eval.synthetic.sites import SITES
from kaizen_eval.synthetic.trial import Trial

#: Seed of each bundled trial.
BUNDLED_SEEDS: dict[str, int] = {"ghana": 21, "tanzania": 0, "vietnam": 0, "ethiopia": 0}

#: ``data/synthetic`` of a source checkout (``src/kaizen_eval/synthetic/`` → repository root).
_REPO_DATA = Path(__file__).resolve().parents[3] / "data" / "synthetic"


def load_bundled(site: str) -> Trial:
    """Return the bundled synthetic trial of ``site``: the ``Trial`` stored in ``data/synthetic/``.

    The bundled files are ``simulate_trial(site, seed=BUNDLED_SEEDS[site])`` written to disk,
    bit for bit (``tests/synthetic/test_bundled.py`` regenerates and compares them), so the
    trial is drawn again with the bundled seed: the same waves, codebook, exchange rates, items
    and truth as the files, plus the latent firm table that the files do not hold, and it works
    in an installed package without the repository's ``data/`` folder.

    Parameters
    ----------
    site : {"ghana", "tanzania", "vietnam", "ethiopia"}
        The site.

    Returns
    -------
    Trial
        With ``seed`` the bundled seed (Ghana 21, the others 0) and the default sample size.

    Raises
    ------
    KaizenError
        ``site`` is not one of the bundled sites.

    Examples
    --------
    >>> from kaizen_eval.synthetic import load_bundled
    >>> t = load_bundled("ghana")
    >>> t.seed, t.n_firms, t.truth["late_value_added"]
    (21, 180, 13890.0)
    """
    check_option("site", site, tuple(BUNDLED_SEEDS))
    return simulate_trial(site, seed=BUNDLED_SEEDS[site])


def bundled_folder(site: str) -> Path | None:
    """Return ``data/synthetic/<site>`` of the source checkout, or ``None`` when not installed so.

    ``site`` is one of the bundled trials, or ``"saturation"`` (the bundled saturation trial of
    :func:`kaizen_eval.saturation_site`, which is not a ``Trial``).

    Examples
    --------
    >>> p = bundled_folder("ghana")
    >>> p is None or (p / "truth.json").is_file()
    True
    """
    check_option("site", site, (*BUNDLED_SEEDS, "saturation"))
    folder = _REPO_DATA / site
    complete = (folder / "truth.json").is_file() and (folder / "meta.json").is_file()
    return folder if complete else None


def regenerate(directory: str | Path) -> dict[str, dict[str, Path]]:
    """Write every bundled trial into ``directory/<site>/``, bit-for-bit for given library versions.

    Parameters
    ----------
    directory : str or pathlib.Path
        Usually ``data/synthetic`` of the repository; each site's folder is replaced.

    Returns
    -------
    dict
        Site → (file name → path written).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     sorted(regenerate(d))
    ['ethiopia', 'ghana', 'tanzania', 'vietnam']
    """
    root = Path(directory)
    return {site: load_bundled(site).write(root / site, overwrite=True) for site in SITES}
