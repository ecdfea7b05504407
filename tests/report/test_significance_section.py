"""The headline says whether a difference is real (significance.json)."""

from __future__ import annotations

import json

from deepmomentum.report._significance import significance_html

SIG = {
    "level": 0.9,
    "sharpe": {
        "lstm@2bp": {
            "sharpe": 0.5,
            "psr": 0.97,
            "dsr": 0.4,
            "n_trials": 24,
            "boot_low": 0.1,
            "boot_high": 0.9,
        },
        "lstm@0bp": {
            "sharpe": 0.7,
            "psr": 0.99,
            "dsr": 0.6,
            "n_trials": 24,
            "boot_low": 0.2,
            "boot_high": 1.1,
        },
        "tsmom@2bp": {"sharpe": 0.45, "psr": 0.96, "dsr": None, "boot_low": 0.02, "boot_high": 0.87},
    },
    "differences": [
        {
            "series": "lstm@2bp",
            "benchmark": "tsmom@2bp",
            "difference": 0.05,
            "boot_low": -0.3,
            "boot_high": 0.4,
        },
        {"series": "lstm@2bp", "benchmark": "macd@2bp", "difference": 0.6, "boot_low": 0.1, "boot_high": 1.0},
        {
            "series": "lstm@0bp",
            "benchmark": "tsmom@0bp",
            "difference": 0.2,
            "boot_low": 0.05,
            "boot_high": 0.3,
        },
    ],
}


def test_rows_at_the_cost_and_the_verdicts(tmp_path):
    (tmp_path / "significance.json").write_text(json.dumps(SIG))
    html = significance_html(tmp_path, 2.0)
    assert "<td class='name'>lstm@2bp</td><td>0.50</td><td>[0.10, 0.90]</td><td>0.97</td>" in html
    assert "lstm@0bp" not in html  # another cost level
    assert "0.40 (24 trials)" in html
    tsmom_row = html[html.index("lstm@2bp − tsmom@2bp") :].split("</tr>")[0]
    assert "no: the interval holds 0" in tsmom_row
    macd_row = html[html.index("lstm@2bp − macd@2bp") :].split("</tr>")[0]
    assert "<b>yes</b>" in macd_row


def test_nothing_without_the_file(tmp_path):
    assert significance_html(tmp_path, 2.0) == ""
