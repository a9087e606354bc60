import numpy as np
import pytest

from kaizen_eval import BenefitPath, time_profile
from kaizen_eval._validation import KaizenError


def test_api_decay_convention():
    g, d = 1000.0, 0.3
    expected = [g * (1 - d) ** (t - 1) for t in range(1, 6)]
    np.testing.assert_allclose(BenefitPath(g, years=5, decay=d).gains(), expected, rtol=1e-14)


def test_delay_ramps_linearly_then_decays():
    # delay 2: shares 1/3, 2/3, 1, then decay from the first full year on
    np.testing.assert_allclose(
        time_profile(5, delay=2, decay=0.5), [1 / 3, 2 / 3, 1.0, 0.5, 0.25], rtol=1e-14
    )


def test_survival_and_spillovers():
    path = BenefitPath(100.0, years=3, survival=0.9, spillover_gain=20.0, business_stealing=50.0)
    assert path.net_gain == 70.0
    np.testing.assert_allclose(path.gains(), 70.0 * 0.9 ** np.arange(1, 4), rtol=1e-14)
    tab = path.table(discount_rate=0.1)
    np.testing.assert_allclose(
        tab["participant_gain"] + tab["spillover_gain"] + tab["business_stealing"], tab["net_gain"]
    )
    np.testing.assert_allclose(tab["present_value"], path.gains() / 1.1 ** np.arange(1, 4))


def test_extension_beyond_the_horizon():
    path = BenefitPath(10.0, years=2, decay=0.1)
    np.testing.assert_allclose(path.gains(4)[:2], path.gains())


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"years": 0}, "`years` must be a positive integer"),
        ({"years": 2.5}, "`years` must be a positive integer"),
        ({"decay": 1.5}, r"`decay` must be in \[0.0, 1.0\]"),
        ({"survival": 0.0}, r"`survival` must be in \(0.0, 1.0\]"),
        ({"business_stealing": -1}, "`business_stealing` must be in"),
        ({"delay": -1}, "`delay` must be in"),
    ],
)
def test_bad_parameters(kwargs, message):
    with pytest.raises(KaizenError, match=message):
        BenefitPath(100.0, **kwargs)
