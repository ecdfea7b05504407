"""Class budgets read as NAV caps vs as shares of the gross, on the real ETF data.

For each month end from 2012 to the end of the data: a TSMOM sign signal
(trailing 252-day return), an EWMA covariance (span 63 days, annualised), and
:func:`construct_weights` under the write-up's constraints (15% vol target,
budgets commodity 0.2 / bond 0.2 / equity 0.3 / FX 0.1, gross <= 1.8,
|w| <= 0.25, net within +-15%, commodity sectors at most half the commodity
class) once per reading. No tilt, trend alignment or benchmark blend. Prints
per reading the mean ex-ante vol, how often the vol target is met, the mean
gross and the mean realised commodity share of the gross; a third row lifts
the gross cap, to show which cap stops the vol target.

    .venv/bin/python benchmarks/bench_class_budget.py [--data-dir ../shared/data/etf]

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd

from deepmomentum.data import load_data_dir
from deepmomentum.features import daily_returns
from deepmomentum.portfolio import PortfolioConstraints, construct_weights, ewma_covariances
from deepmomentum.portfolio._construction import class_shares
from deepmomentum.signals import get_strategy

BUDGETS = {"commodity": 0.2, "bond": 0.2, "equity": 0.3, "fx": 0.1}
SECTOR_MAX_SHARE = 0.5


def _constraints(reading: str, commodity_sectors: list[str]) -> PortfolioConstraints:
    if reading == "gross_share, no gross cap":  # which cap stops the vol target
        return PortfolioConstraints(
            class_caps=BUDGETS, class_budget="gross_share", sector_max_share=SECTOR_MAX_SHARE, max_gross=100.0
        )
    if reading == "nav_cap":  # as the pipeline builds them today
        caps = {s: SECTOR_MAX_SHARE * BUDGETS["commodity"] for s in commodity_sectors}
        return PortfolioConstraints(class_caps=BUDGETS, sector_caps=caps)
    return PortfolioConstraints(
        class_caps=BUDGETS, class_budget="gross_share", sector_max_share=SECTOR_MAX_SHARE
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data/etf")
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = load_data_dir(args.data_dir)
    prices = data.tradable_prices
    meta = {i.symbol: i for i in data.universe.instruments}
    classes = [meta[s].asset_class.value for s in prices.columns]
    sectors = [meta[s].sector for s in prices.columns]
    returns = daily_returns(prices)
    signal = get_strategy("tsmom").signal(prices)
    idx = pd.DatetimeIndex(prices.index)
    pos = pd.Series(np.arange(len(idx)), index=idx).loc["2012":]
    days = [int(p) for p in pos.groupby(pd.DatetimeIndex(pos.index).to_period("M")).max()]
    covs = ewma_covariances(returns, 63, days)
    com_sectors = sorted({s for s, k in zip(sectors, classes, strict=True) if k == "commodity"})
    print(f"{len(days)} month ends {idx[days[0]].date()} .. {idx[days[-1]].date()}, {len(classes)} assets")
    print(f"{'reading':<27}{'vol mean':>10}{'vol met':>9}{'gross':>8}{'commodity share':>17}")
    for reading in ("nav_cap", "gross_share", "gross_share, no gross cap"):
        c = _constraints(reading, com_sectors)
        vols, met, gross, com = [], [], [], []
        for t in days:
            res = construct_weights(signal.iloc[t].to_numpy("float64"), covs[t], classes, sectors, c)
            vols.append(res.vol)
            met.append("vol_target" not in res.unmet)
            gross.append(float(np.abs(res.weights).sum()))
            com.append(class_shares(res.weights, classes)["commodity"])
        print(
            f"{reading:<27}{np.mean(vols):>10.2%}{np.mean(met):>9.0%}{np.mean(gross):>8.2f}{np.mean(com):>17.1%}"
        )


if __name__ == "__main__":
    main()
