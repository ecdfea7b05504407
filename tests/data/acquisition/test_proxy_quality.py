"""Proxy splicing and quality checks on small hand-made series."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from deepmomentum.data.acquisition import (
    IssueRule,
    QualityError,
    QualityPolicy,
    check_quality,
    require_clean,
    splice_proxy,
)
from deepmomentum.exceptions import DataError


def s(values, start="2021-01-04", name="X") -> pd.Series:
    return pd.Series(
        np.asarray(values, dtype=float), index=pd.bdate_range(start, periods=len(values)), name=name
    )


# ----------------------------------------------------------------- splicing


def test_splice_chain_links_back_from_first_real_price() -> None:
    proxy = s([50, 55, 44, 66, 70, 1000], start="2021-01-04", name="P")  # Jan 4..11
    own = s([20, 21, 22], start="2021-01-08", name="ETF")  # own prices from Jan 8
    spliced, info = splice_proxy(own, proxy)
    # proxy dates before Jan 8: Jan 4,5,6,7 -> rebased so that Jan 7 equals the first own price
    assert spliced.index[0] == pd.Timestamp("2021-01-04") and len(spliced) == 7
    np.testing.assert_allclose(spliced.iloc[:4].to_numpy(), np.array([50, 55, 44, 66]) * 20 / 66)
    # spliced returns are the proxy's returns dated before the first own price
    np.testing.assert_allclose(
        spliced.pct_change().iloc[1:4].to_numpy(), proxy.pct_change().iloc[1:4].to_numpy()
    )
    # from the first own price on, every price is the instrument's own
    pd.testing.assert_series_equal(spliced.loc["2021-01-08":], own, check_freq=False)
    assert info.n_spliced == 4 and info.spliced_end == pd.Timestamp("2021-01-07")
    assert info.first_own == pd.Timestamp("2021-01-08")
    assert info.as_dict()["spliced_start"] == "2021-01-04"


def test_splice_never_uses_proxy_on_or_after_first_price() -> None:
    own = s([20, 21, 22], start="2021-01-08")
    a = s([50, 55, 44, 66, 70, 80, 90], start="2021-01-04")
    b = a.copy()
    b.loc["2021-01-08":] = [1.0, 2.0, 3.0]  # change the proxy from the first own date on
    pd.testing.assert_series_equal(splice_proxy(own, a)[0], splice_proxy(own, b)[0])


def test_splice_without_earlier_proxy_is_a_no_op() -> None:
    own = s([20, 21], start="2021-01-04")
    spliced, info = splice_proxy(own, s([1, 2], start="2021-01-06"))
    pd.testing.assert_series_equal(spliced, own)
    assert info.n_spliced == 0 and info.spliced_start is None


def test_splice_rejects_non_positive_proxy() -> None:
    with pytest.raises(DataError, match="non-positive"):
        splice_proxy(s([20], start="2021-01-08"), s([5, -1, 3], start="2021-01-04"))


# ----------------------------------------------------------------- quality


def walk(n: int = 200, seed: int = 42) -> pd.Series:
    rng = np.random.default_rng(seed)
    return s(100 * np.exp(np.cumsum(rng.normal(0, 0.01, n))))


def test_clean_walk_has_no_issues() -> None:
    report = check_quality({"A": walk()})
    assert report.issues.empty and report.ok


def test_spike_that_reverts_is_an_error() -> None:
    x = walk()
    x.iloc[100] *= 1.5
    report = check_quality({"A": x}, QualityPolicy().with_actions({"spike": "error"}))
    spikes = report.issues[report.issues["issue"] == "spike"]
    assert len(spikes) == 1 and spikes["start"].iloc[0] == x.index[100].date().isoformat()
    assert not report.ok
    with pytest.raises(QualityError, match=r"1 unresolved data error.*spike.*spike=keep.*data check"):
        report.raise_for_errors("folder")
    assert report.spike_notices() == []  # refused spikes are named by the error, not a warning


def test_spike_that_reverts_is_dropped_by_default() -> None:
    x = walk()
    x.iloc[100] *= 1.5
    report = check_quality({"A": x})
    assert report.ok and x.index[100] not in report.cleaned["A"].index
    row = report.issues[report.issues["issue"] == "spike"].iloc[0]
    assert row["action"] == "drop" and row["resolved"] and row["severity"] == "error"
    (notice,) = report.spike_notices()
    assert notice.startswith(
        f"A: dropped 1 isolated spike that reverts next day (a bad print): {row['start']} +"
    )


@pytest.mark.parametrize("action", ["keep", "ffill"])
def test_spike_notices_per_action(action: str) -> None:
    x = walk()
    x.iloc[100] *= 1.5
    x.iloc[160] *= 0.6
    report = check_quality({"A": x}, QualityPolicy().with_actions({"spike": action}))
    assert report.ok
    (notice,) = report.spike_notices()  # one per symbol
    days = [d.date().isoformat() for d in x.index[[100, 160]]]
    assert re.search(rf"2 isolated spikes .*: {days[0]} \+4\d\.\d%, {days[1]} -4\d\.\d%", notice)
    verb = {"keep": "A: kept", "ffill": "A: carried the previous price over"}[action]
    assert notice.startswith(verb)


def test_a_lasting_jump_is_not_a_spike() -> None:
    x = walk()
    x.iloc[100:] *= 1.5  # a real move: it does not revert
    assert check_quality({"A": x}).issues.empty


@pytest.mark.parametrize(("action", "expected"), [("drop", None), ("ffill", "prev")])
def test_spike_policy_resolves(action: str, expected: str | None) -> None:
    x = walk()
    spike_day = x.index[100]
    x.iloc[100] *= 1.5
    policy = QualityPolicy(spike=IssueRule(action=action))
    report = check_quality({"A": x}, policy)
    assert report.ok and report.issues["resolved"].all()
    cleaned = report.cleaned["A"]
    if expected is None:
        assert spike_day not in cleaned.index
    else:
        assert cleaned[spike_day] == x.iloc[99]


def test_non_positive_values() -> None:
    x = s([10, 11, -1, 0, 12, 13])
    report = check_quality({"A": x})
    row = report.issues.iloc[0]
    assert (row["issue"], row["n_days"], row["severity"]) == ("non_positive", 2, "error")
    assert check_quality({"A": x}, allow_non_positive=["A"]).issues.empty  # rates may be <= 0
    cleaned = require_clean({"A": x}, QualityPolicy(non_positive=IssueRule(action="ffill", limit=2)))
    assert cleaned["A"].tolist() == [10, 11, 11, 11, 12, 13]
    with pytest.raises(QualityError):
        require_clean({"A": x}, QualityPolicy(non_positive=IssueRule(action="ffill", limit=1)))


def test_stale_run() -> None:
    x = walk(60)
    x.iloc[20:30] = x.iloc[20]  # unchanged for 9 days
    report = check_quality({"A": x}, QualityPolicy(stale_days=5))
    stale = report.issues[report.issues["issue"] == "stale"].iloc[0]
    assert stale["n_days"] == 9 and stale["severity"] == "warning" and report.ok
    dropped = check_quality({"A": x}, QualityPolicy(stale=IssueRule(action="drop"))).cleaned["A"]
    assert len(dropped) == 60 - 9


def test_gap_flag_and_ffill() -> None:
    full = walk(60)
    x = full.drop(full.index[20:28])  # 8 business days missing
    report = check_quality({"A": x})
    gap = report.issues.iloc[0]
    assert (gap["issue"], gap["n_days"]) == ("gap", 8)
    assert (gap["start"], gap["end"]) == (str(full.index[20].date()), str(full.index[27].date()))
    assert not gap["resolved"] and report.ok  # a warning
    filled = check_quality({"A": x}, QualityPolicy(gap=IssueRule(action="ffill", limit=10))).cleaned["A"]
    assert len(filled) == 60
    cut = check_quality({"A": x}, QualityPolicy(gap=IssueRule(action="drop"))).cleaned["A"]
    assert len(cut) == 60 - 28


def test_calendar_mismatch_across_assets() -> None:
    a, b, c = walk(60, 1), walk(60, 2), walk(60, 3)
    c = c.drop(c.index[10:40:5])  # c misses 6 days the others trade
    report = check_quality({"A": a, "B": b, "C": c}, QualityPolicy(gap_days=5))
    cal = report.issues[report.issues["issue"] == "calendar"]
    assert cal["symbol"].tolist() == ["C"] and cal["n_days"].iloc[0] == 6
    fixed = check_quality({"A": a, "B": b, "C": c}, QualityPolicy(calendar=IssueRule(action="ffill")))
    assert len(fixed.cleaned["C"]) == 60


def test_require_clean_accepts_a_frame_and_csv(tmp_path) -> None:
    frame = pd.DataFrame({"A": walk(50, 1), "B": walk(50, 2)})
    out = require_clean(frame)
    assert list(out.columns) == ["A", "B"] and out.shape == (50, 2)
    x = walk()
    x.iloc[50] *= 0.4
    report = check_quality({"A": x})
    path = report.to_csv(tmp_path / "q.csv")
    back = pd.read_csv(path)
    assert list(back.columns) == [
        "symbol",
        "issue",
        "severity",
        "start",
        "end",
        "n_days",
        "detail",
        "action",
        "resolved",
    ]


def test_policy_overrides() -> None:
    p = QualityPolicy().with_actions({"spike": "drop"})
    assert p.spike.action == "drop" and p.gap.action == "flag"
    with pytest.raises(ValueError, match="unknown issue"):
        QualityPolicy().with_actions({"spikes": "drop"})


def test_shared_etf_data_check_runs(etf_dir) -> None:
    from deepmomentum.data.acquisition import check_data_dir

    report = check_data_dir(etf_dir)
    assert set(report.issues["issue"]) <= {"gap", "stale", "spike", "calendar", "non_positive"}
    # the real, adjusted shared prices are positive
    assert (report.issues["issue"] != "non_positive").all()
