"""Review reasons read right to a person."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from nlp_pipeline.model.predictor import _apart


@given(st.floats(0, 1), st.floats(0, 1))
def test_a_confidence_below_its_threshold_never_reads_as_equal(value, bar):
    shown, limit = _apart(value, bar)
    if bar - value > 1e-6:
        assert float(shown) < float(limit), (value, bar, shown, limit)
    assert len(shown.split(".")[1]) >= 2


def test_two_decimals_when_they_suffice():
    assert _apart(0.42, 0.9) == ("0.42", "0.90")
    assert _apart(0.9912, 0.9934) == ("0.991", "0.993")
