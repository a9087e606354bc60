"""One analysis-frame builder: the plan runner and the synthetic trials give the same frame."""

import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError
from kaizen_eval.pipeline.demo import write_demo_inputs
from kaizen_eval.pipeline.plan import load_plan
from kaizen_eval.pipeline.run import _prepare
from kaizen_eval.scores.frame import attach_baselines
from kaizen_eval.synthetic.frame import ANCOVA_OUTCOMES, analysis_frame


@pytest.fixture(scope="module")
def ghana(tmp_path_factory):
    return load_plan(write_demo_inputs(tmp_path_factory.mktemp("inputs"))["ghana"])


def test_plan_runner_and_synthetic_trials_build_the_same_frame(ghana):
    d = ghana.data
    _, long, notes = _prepare(ghana)
    last = list(d.waves)[-1]
    from_plan = attach_baselines(
        long,
        long[long["wave"] == last],
        ANCOVA_OUTCOMES,
        id_col=d.id,
        baseline_wave=next(iter(d.waves)),
    ).reset_index(drop=True)
    from_trial = analysis_frame(
        {w: str(p) for w, p in d.waves.items()},
        codebook=str(d.codebook),
        exchange_rates=ke.read_wave(str(d.exchange_rates)),
        items=ke.read_wave(str(d.items)),
    )
    pd.testing.assert_frame_equal(from_plan, from_trial)
    assert {"value_added_baseline", "score_overall_baseline", "operating"} <= set(from_trial)
    assert from_trial["value_added_baseline"].notna().sum() > 0.9 * len(from_trial)
    assert any("value_added = sales_usd" in n for n in notes)


def test_a_baseline_column_is_never_replaced_silently():
    long = pd.DataFrame(
        {"firm_id": ["a", "a"], "wave": ["b", "f"], "y": [1.0, 2.0], "y_baseline": [0.0, 0.0]}
    )
    with pytest.raises(KaizenError, match=r"already have a column 'y_baseline'.*Rename"):
        attach_baselines(long, long[long.wave == "f"], ["y"], id_col="firm_id", baseline_wave="b")
