import numpy as np
import pandas as pd
import pytest

from deepmomentum.exceptions import DataError
from deepmomentum.signals import (
    classify_growth,
    load_macro_dir,
    load_sentiment,
    macro_asof,
    macro_regime,
    market_regime,
    release_dates,
)


def test_release_dates_follow_the_lags():
    ref = pd.DatetimeIndex(["2020-01-01", "2020-02-01"])
    # CFNAI: month end + 25 days, usable the day after
    assert list(release_dates(ref, "M", 25)) == [pd.Timestamp("2020-02-26"), pd.Timestamp("2020-03-26")]
    assert list(release_dates(pd.DatetimeIndex(["2020-01-01"]), "Q", 30)) == [pd.Timestamp("2020-05-01")]
    assert list(release_dates(ref, "D", 0)) == list(ref)


def test_macro_value_not_used_before_release():
    s = pd.Series([1.0, 2.0], index=pd.DatetimeIndex(["2020-01-01", "2020-02-01"]), name="CFNAI")
    idx = pd.bdate_range("2020-01-01", "2020-04-30")
    out = macro_asof(s, idx)
    assert out.loc[:"2020-02-25"].isna().all()
    assert (out.loc["2020-02-26":"2020-03-25"] == 1.0).all()
    assert (out.loc["2020-03-26":] == 2.0).all()


def test_usrec_is_refused(tmp_path):
    (tmp_path / "USREC.csv").write_text("date,value\n2020-01-01,1\n")
    with pytest.raises(DataError, match="live input"):
        load_macro_dir(tmp_path, ["USREC"])


def test_bad_macro_file_names_file(tmp_path):
    (tmp_path / "CFNAI.csv").write_text("when,value\n2020-01-01,1\n")
    with pytest.raises(DataError, match=r"CFNAI\.csv.*date,value"):
        load_macro_dir(tmp_path, ["CFNAI"])


def test_hand_made_series_gets_expected_regimes():
    level = pd.Series([-1.0, -0.5, 0.5, 1.0, 0.5, -0.5, -1.0, -0.5], dtype=float)
    out = classify_growth(level, 0.0, direction_periods=1)
    assert list(out) == [
        "unknown",
        "recovery",
        "expansion",
        "expansion",
        "slowdown",
        "contraction",
        "contraction",
        "recovery",
    ]


def test_macro_regime_hand_made_cfnai():
    months = pd.date_range("2019-01-01", periods=12, freq="MS")
    values = [1, 1, 1, 2, 2, 2, 1, 0, -1, -2, -2, -1]
    macro = {"CFNAI": pd.Series(values, index=months, dtype=float, name="CFNAI")}
    idx = pd.bdate_range("2019-01-01", "2020-03-31")
    out = macro_regime(macro, idx, "cfnai", inflation=False)
    # MA3 of Apr..Jun 2019 = 2 vs MA3 of Jan..Mar = 1: rising, above 0 -> expansion, known once June is out
    assert out.loc["2019-07-25", "regime"] == "unknown" or out.loc["2019-07-25", "regime"] != "expansion"
    assert out.loc["2019-07-26", "regime"] == "expansion"  # June value released Jul 25 + 1 day
    # MA3 Oct..Dec = -5/3 below 0, falling vs Jul..Sep = 0 -> contraction, usable 2020-01-26
    assert out.loc["2020-01-27", "regime"] == "contraction"


def test_truncation_macro_regime(macro_dir):
    macro = load_macro_dir(macro_dir, ["CFNAI", "CPIAUCSL", "INDPRO"])
    idx = pd.bdate_range("2005-01-01", "2024-12-31")
    cut = pd.Timestamp("2015-06-15")
    for kind in ("cfnai", "indpro"):
        full = macro_regime(macro, idx, kind)
        # truncate every series at D (by the date a value is stored under) and rerun
        trunc = {k: v.loc[:cut] for k, v in macro.items()}
        part = macro_regime(trunc, idx[idx <= cut], kind)
        pd.testing.assert_frame_equal(full.loc[:cut], part)


def test_truncation_market_regime(etf_dir):
    from deepmomentum.data import load_data_dir

    data = load_data_dir(etf_dir)
    prices = data.prices.loc["2000":]
    cut = pd.Timestamp("2016-03-10")
    full = market_regime(prices)
    part = market_regime(prices.loc[:cut])
    pd.testing.assert_frame_equal(full.loc[:cut], part)
    assert set(full["regime"].unique()) <= {"expansion", "slowdown", "contraction", "recovery", "unknown"}


def test_sentiment_next_day_and_bounds(tmp_path):
    (tmp_path / "SPY.csv").write_text("date,score\n2020-01-03,0.5\n2020-01-03,0.3\n2020-01-08,-1\n")
    idx = pd.bdate_range("2020-01-01", periods=10)
    s = load_sentiment(tmp_path, ["SPY", "TLT"], idx, max_age_days=2)
    assert np.isnan(s.loc["2020-01-03", "SPY"])  # not on its own day
    assert s.loc["2020-01-06", "SPY"] == pytest.approx(0.4)  # next trading day, averaged
    assert s.loc["2020-01-07", "SPY"] == pytest.approx(0.4)
    assert s.loc["2020-01-09", "SPY"] == -1
    assert s["TLT"].isna().all()
    (tmp_path / "TLT.csv").write_text("date,score\n2020-01-03,1.5\n")
    with pytest.raises(DataError, match=r"TLT\.csv.*\[-1, 1\]"):
        load_sentiment(tmp_path, ["TLT"], idx)
