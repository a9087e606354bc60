"""Fixtures shared by the estimator tests."""

import numpy as np
import pytest


def _wls_hc1(y, x, w):
    """Weighted least squares with HC1 (``K`` counts every column): b, se, df.

    A direct implementation of the sandwich, independent of the package's linear core.
    """
    xw = x * w[:, None]
    bread = np.linalg.inv(x.T @ xw)
    b = bread @ (xw.T @ y)
    e = y - x @ b
    meat = (xw * e[:, None]).T @ (xw * e[:, None])
    n, k = x.shape
    return b, np.sqrt(np.diag(bread @ meat @ bread) * n / (n - k)), n - k


@pytest.fixture(scope="session")
def wls_hc1():
    """Return the written-out weighted least squares with HC1 of the reference checks."""
    return _wls_hc1
