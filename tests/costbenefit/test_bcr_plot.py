import numpy as np
import pytest

import kaizen_eval as ke


def test_bcr_distribution_marks_estimate_interval_and_break_even():
    draws = np.random.default_rng(1).normal(4_181, 950, size=4_000)
    cb = ke.cost_benefit(gain=4_181, cost=2_905, gain_draws=draws)
    fig = ke.plot_bcr_distribution(cb)
    ax = fig.axes[0]
    assert ax.get_title() == f"P(BCR > 1) = {cb.prob_bcr_above_1:.3f}"
    xs = sorted(line.get_xdata()[0] for line in ax.get_lines())
    assert xs == pytest.approx(sorted([1.0, cb.bcr]))
    counts = sum(bar.get_height() for bar in ax.containers[0])  # the histogram's bars
    assert counts == pytest.approx(len(draws))


def test_bcr_distribution_needs_an_uncertain_gain():
    with pytest.raises(ke.KaizenError, match="certain gain"):
        ke.plot_bcr_distribution(ke.cost_benefit(gain=4_181, cost=2_905))
