import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke


def test_operating_keeps_exit_apart_from_not_found():
    df = pd.DataFrame({"status": ["interviewed", "refused", "closed", "not_found", None]})
    got = ke.operating(df)
    assert got.name == "operating"
    np.testing.assert_array_equal(got.to_numpy(), [1.0, 1.0, 0.0, np.nan, np.nan])


def test_operating_names_unknown_status_and_missing_column():
    with pytest.raises(ke.KaizenError, match=r"unknown status value.*'moved'"):
        ke.operating(pd.DataFrame({"status": ["moved"]}))
    with pytest.raises(KeyError, match="'state'"):
        ke.operating(pd.DataFrame({"status": ["closed"]}), status="state")
