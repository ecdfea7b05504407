"""The default quality policy: isolated bad prints are dropped with one warning; real errors still stop."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepmomentum.data import load_data_dir
from deepmomentum.data.acquisition import QualityError, QualityPolicy, check_quality
from deepmomentum.exceptions import DataError, DataWarning

CPER_PRINTS = [pd.Timestamp("2014-12-04"), pd.Timestamp("2015-02-02")]


def _raw_cper(etf_dir: Path) -> pd.Series:
    raw = pd.read_csv(etf_dir / "CPER.csv", parse_dates=["Date"], index_col="Date")["Close"]
    return raw.astype("float64")


def _folder_with_print(tmp_path: Path, factor: float = 0.6) -> tuple[Path, pd.DatetimeIndex]:
    """One-instrument folder with a bad print on day 150 that reverts the next day."""
    (tmp_path / "universe.csv").write_text("symbol,asset_class\nAAA,equity\n")
    idx = pd.bdate_range("2015-01-01", periods=300)
    prices = 100 * np.cumprod(1 + np.random.default_rng(1).normal(0, 0.005, 300))
    prices[150] *= factor
    frame = pd.DataFrame({"Date": idx.strftime("%Y-%m-%d"), "Close": prices})
    frame.to_csv(tmp_path / "AAA.csv", index=False)
    return tmp_path, idx


def _quality_warnings(caught: list[warnings.WarningMessage]) -> list[warnings.WarningMessage]:
    from deepmomentum.exceptions import QualityWarning

    return [w for w in caught if issubclass(w.category, QualityWarning)]


def test_default_load_drops_the_cper_bad_prints(etf_dir: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_data_dir(etf_dir)
    raw = _raw_cper(etf_dir)
    cper = data.prices["CPER"]
    for day in CPER_PRINTS:
        # the bad print is gone: the day carries the previous good price
        assert cper[day] != pytest.approx(raw[day])
        assert cper[day] == pytest.approx(raw[raw.index < day].iloc[-1])
    assert cper.pct_change().abs().max() < 0.2
    q = data.quality
    assert q is not None
    spikes = q[(q["symbol"] == "CPER") & (q["issue"] == "spike")]
    assert list(spikes["start"]) == ["2014-12-04", "2015-02-02"]
    assert set(spikes["action"]) == {"drop"} and spikes["resolved"].all()
    found = _quality_warnings(caught)
    assert len(found) == 1  # one warning per symbol, not per day
    text = str(found[0].message)
    assert text.startswith("CPER: dropped 2 isolated spikes")
    assert "2014-12-04 -33.1%" in text and "2015-02-02 -28.7%" in text
    assert "--quality spike=keep" in text


def test_spike_keep_keeps_the_prints_and_still_reports(etf_dir: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_data_dir(etf_dir, quality=QualityPolicy().with_actions({"spike": "keep"}))
    raw = _raw_cper(etf_dir)
    for day in CPER_PRINTS:
        assert data.prices["CPER"][day] == pytest.approx(raw[day])
    q = data.quality
    assert q is not None
    spikes = q[(q["symbol"] == "CPER") & (q["issue"] == "spike")]
    assert len(spikes) == 2 and set(spikes["action"]) == {"keep"}
    (found,) = _quality_warnings(caught)
    assert str(found.message).startswith("CPER: kept 2 isolated spikes")


@pytest.mark.parametrize("action", ["error", "flag"])
def test_spike_error_and_flag_refuse(tmp_path: Path, action: str) -> None:
    folder, idx = _folder_with_print(tmp_path)
    policy = QualityPolicy().with_actions({"spike": action})
    with pytest.raises(QualityError, match=r"AAA spike " + idx[150].strftime("%Y-%m-%d")):
        load_data_dir(folder, quality=policy)


def test_default_policy_drops_an_isolated_print(tmp_path: Path) -> None:
    folder, idx = _folder_with_print(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_data_dir(folder)
    assert data.prices["AAA"].get(idx[150]) is None  # one-instrument calendar: the day is gone
    (found,) = _quality_warnings(caught)
    assert str(found.message).startswith("AAA: dropped 1 isolated spike that reverts")


def test_quality_false_skips_the_checks(tmp_path: Path) -> None:
    folder, idx = _folder_with_print(tmp_path)
    data = load_data_dir(folder, quality=False)
    assert data.quality is None
    assert idx[150] in data.prices.index


def test_load_data_dir_rejects_a_non_policy(tmp_path: Path) -> None:
    folder, _ = _folder_with_print(tmp_path)
    with pytest.raises(TypeError, match="QualityPolicy"):
        load_data_dir(folder, quality=True)  # type: ignore[arg-type]


def test_non_positive_price_still_stops(tmp_path: Path) -> None:
    folder, _ = _folder_with_print(tmp_path, factor=1.0)
    frame = pd.read_csv(folder / "AAA.csv")
    frame.loc[100, "Close"] = 0.0
    frame.to_csv(folder / "AAA.csv", index=False)
    with pytest.raises(DataError, match="not positive"):
        load_data_dir(folder)
    # the quality check itself (e.g. data check, no load-time refusal) leaves it unresolved
    report = check_quality({"AAA": frame.set_index(pd.DatetimeIndex(frame["Date"]))["Close"]})
    assert not report.ok and set(report.unresolved_errors["issue"]) == {"non_positive"}


def test_non_positive_cannot_be_kept() -> None:
    with pytest.raises(ValueError, match="non_positive=keep"):
        QualityPolicy().with_actions({"non_positive": "keep"})
    with pytest.raises(ValueError, match="non_positive=keep"):
        QualityPolicy.model_validate({"non_positive": {"action": "keep"}})


def test_error_action_makes_any_issue_stop() -> None:
    idx = pd.bdate_range("2020-01-01", periods=80)
    s = pd.Series(100 + np.arange(80.0), index=idx).drop(idx[30:40])  # a 10-day gap
    assert check_quality({"A": s}).ok  # a gap is a warning by default
    report = check_quality({"A": s}, QualityPolicy().with_actions({"gap": "error"}))
    assert not report.ok and list(report.unresolved_errors["issue"]) == ["gap"]


def test_spike_table_without_action_keeps_the_default() -> None:
    """``spike = { limit = 3 }`` in TOML changes the limit only, not the default action."""
    policy = QualityPolicy.model_validate({"spike": {"limit": 3}})
    assert policy.spike.action == "drop" and policy.spike.limit == 3
    assert QualityPolicy().spike.action == "drop" and QualityPolicy().gap.action == "flag"


def test_data_warnings_point_at_the_callers_line(tmp_path: Path) -> None:
    folder, _ = _folder_with_print(tmp_path)
    (folder / "universe.csv").write_text("symbol,asset_class\nAAA,equity\nBBB,bond\n")
    short = pd.DataFrame({"Date": pd.bdate_range("2015-01-01", periods=20).strftime("%Y-%m-%d")})
    short["Close"] = 10.0 + np.arange(20) * 0.01
    short.to_csv(folder / "BBB.csv", index=False)
    (folder / "EXTRA.csv").write_text("Date,Close\n2015-01-01,1\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_data_dir(folder)
    data_warnings = [w for w in caught if issubclass(w.category, DataWarning)]
    kinds = {w.category.__name__ for w in data_warnings}
    assert {"QualityWarning", "ShortHistoryWarning", "DataWarning"} <= kinds
    assert {w.filename for w in data_warnings} == {__file__}
