"""The numerical core: arrays in, frozen results out, shared by ``design`` and ``estimate``.

Nothing here knows about surveys, panels, plans or reports. It imports only NumPy, SciPy,
pandas, :mod:`kaizen_eval._validation` and :mod:`kaizen_eval._progress`
(``tests/test_architecture.py`` checks this), and every stage above stands on it:

* :mod:`~kaizen_eval._core.absorb`: fixed-effect absorption (Frisch–Waugh–Lovell) and the
  fixed effects' part of the hat matrix;
* :mod:`~kaizen_eval._core.covariance`: the one covariance specification
  (:class:`~kaizen_eval._core.covariance.CovarianceSpec`) and the one sandwich;
* :mod:`~kaizen_eval._core.meats`: the one implementation of each meat (HC0–HC3, CR0/CR1),
  for a single fit and vectorised over a block of fits; CR2 in :mod:`~kaizen_eval._core.cr2`;
* :mod:`~kaizen_eval._core.linear` and :mod:`~kaizen_eval._core.wald`: OLS and 2SLS fits,
  full-rank checks, Wald tests;
* :mod:`~kaizen_eval._core.engine` (with :mod:`~kaizen_eval._core.chunks`): the resampling
  engine behind randomization inference;
* :mod:`~kaizen_eval._core.wild`, :mod:`~kaizen_eval._core.wild_iv` (with
  :mod:`~kaizen_eval._core.wild_sums`): the wild cluster bootstrap on cluster sums;
* :mod:`~kaizen_eval._core.batch_ols` and :mod:`~kaizen_eval._core.batch_iv` (with
  :mod:`~kaizen_eval._core.batch`): many small fits at once, for the power simulations.

The public names users see (``fit_ols``, ``fit_2sls``, ``wald_test``, ``LinearFit``,
``WaldTest``, ``SE_TYPES``, ``SEType``) are re-exported by :mod:`kaizen_eval.estimate`.
"""
