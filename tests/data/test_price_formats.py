"""Date formats and separators of price files: detected per file, or one clear message."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

from deepmomentum.data import read_price_file
from deepmomentum.exceptions import DataError, DataWarning


def write(tmp_path: Path, content: str, name: str = "AAA.csv") -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def read_quietly(path: Path) -> tuple[pd.Series, list[str]]:
    """The series and the DataWarning messages raised while reading it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        series = read_price_file(path)
    return series, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


@pytest.mark.parametrize(
    ("content", "dates", "values", "said"),
    [
        (
            "Date,Close\n30/01/2015,1\n31/01/2015,2\n02/02/2015,3\n",
            ["2015-01-30", "2015-01-31", "2015-02-02"],
            [1.0, 2.0, 3.0],
            r"parsed day-first dates \(DD/MM/YYYY\)",
        ),
        (
            "Date,Close\n12.01.2015,1\n13.01.2015,2\n",
            ["2015-01-12", "2015-01-13"],
            [1.0, 2.0],
            r"parsed day-first dates \(DD\.MM\.YYYY\)",
        ),
        (
            "Date,Close\n09-01-2015,1\n13-01-2015,2\n",
            ["2015-01-09", "2015-01-13"],
            [1.0, 2.0],
            r"parsed day-first dates \(DD-MM-YYYY\)",
        ),
        (
            "Date,Close\n01/30/2015,1\n01/31/2015,2\n02/02/2015,3\n",
            ["2015-01-30", "2015-01-31", "2015-02-02"],
            [1.0, 2.0, 3.0],
            r"parsed month-first dates \(MM/DD/YYYY\)",
        ),
        (
            "Date,Close\n2015-01-30 16:00:00,1\n2015-02-02 16:00:00,2\n",
            ["2015-01-30", "2015-02-02"],
            [1.0, 2.0],
            None,
        ),
        (  # every field <= 12: only the day-first reading is in date order
            "Date,Close\n12/01/2015,1\n01/02/2015,2\n",
            ["2015-01-12", "2015-02-01"],
            [1.0, 2.0],
            r"parsed day-first dates \(DD/MM/YYYY\).*only reading in date order",
        ),
        (  # ... and here only the month-first one
            "Date,Close\n01/02/2015,1\n03/01/2015,2\n",
            ["2015-01-02", "2015-03-01"],
            [1.0, 2.0],
            r"parsed month-first dates \(MM/DD/YYYY\).*only reading in date order",
        ),
        ("Date;Close\n2015-01-30;1.5\n2015-02-02;2.5\n", ["2015-01-30", "2015-02-02"], [1.5, 2.5], None),
        ("Date;Close\n2015-01-30;1,5\n2015-02-02;2,25\n", ["2015-01-30", "2015-02-02"], [1.5, 2.25], None),
        (
            "Date;Close\n2015-01-30;1.234,5\n2015-02-02;999,75\n",
            ["2015-01-30", "2015-02-02"],
            [1234.5, 999.75],
            None,
        ),
        (
            "Date;Adj Close\n30.01.2015;1,5\n02.02.2015;2,5\n",
            ["2015-01-30", "2015-02-02"],
            [1.5, 2.5],
            r"parsed day-first dates \(DD\.MM\.YYYY\)",
        ),
        ("Date\tClose\n2015-01-30\t1.5\n2015-02-02\t2.5\n", ["2015-01-30", "2015-02-02"], [1.5, 2.5], None),
        ("Date,Close\n2015-01-30,1.5\n2015-02-02,2.5\n", ["2015-01-30", "2015-02-02"], [1.5, 2.5], None),
    ],
    ids=[
        "day-first-slash",
        "day-first-dot",
        "day-first-dash",
        "month-first",
        "iso-with-time",
        "ambiguous-sorted-day-first",
        "ambiguous-sorted-month-first",
        "semicolon",
        "semicolon-decimal-comma",
        "semicolon-thousands-dot",
        "semicolon-day-first-decimal-comma",
        "tab",
        "comma-iso",
    ],
)
def test_formats_parse(
    tmp_path: Path, content: str, dates: list[str], values: list[float], said: str | None
) -> None:
    series, messages = read_quietly(write(tmp_path, content))
    assert list(series.index) == [pd.Timestamp(d) for d in dates]
    assert series.tolist() == pytest.approx(values)
    if said is None:
        assert messages == []
    else:
        assert len(messages) == 1  # said once per file, not once per row
        assert "AAA.csv" in messages[0]
        assert re.search(said, messages[0]), messages[0]


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (  # ISO rows and day-first rows
            "Date,Close\n2015-01-29,1\n2015-01-30,2\n31/01/2015,3\n01/02/2015,4\n",
            r"AAA\.csv: column 'Date' mixes date formats: rows 2-3 are ISO \(YYYY-MM-DD\) but rows "
            r"4 '31/01/2015', 5 '01/02/2015' are DD/MM/YYYY; write every date in one format, ISO "
            r"\(YYYY-MM-DD\) preferred",
        ),
        (  # a day-first row among ISO ones
            "Date,Close\n2015-01-29,1\n30/01/2015,2\n2015-02-02,3\n",
            r"rows 2, 4 are ISO \(YYYY-MM-DD\) but row 3 '30/01/2015' is DD/MM/YYYY",
        ),
        (  # both readings in date order: cannot tell
            "Date,Close\n01/02/2015,1\n02/03/2015,2\n",
            r"AAA\.csv: column 'Date': the dates are ambiguous .*'01/02/2015' could be 1 February or "
            r"2 January.*write ISO dates \(YYYY-MM-DD\)",
        ),
        (  # neither reading in date order
            "Date,Close\n03/03/2015,1\n01/02/2015,2\n",
            r"the dates are ambiguous .*neither reading is in date order.*write ISO dates",
        ),
        (  # a day > 12 in first place and another in second place
            "Date,Close\n31/01/2015,1\n02/13/2015,2\n",
            r"column 'Date' mixes date formats: row 2 '31/01/2015' is day-first \(DD/MM/YYYY\) but row 3 "
            r"'02/13/2015' is month-first \(MM/DD/YYYY\); write every date in one format, ISO",
        ),
        (
            "Date,Close\n30/01/2015,1\n31/02/2015,2\n",
            r"column 'Date', row 3: cannot parse date '31/02/2015'",
        ),
        ("Date,Close\n00/01/2015,1\n02/01/2015,2\n", r"row 2: cannot parse date '00/01/2015'"),
        (
            "Date,Close\n30/01/2015,1\n02/01/2015 10:00,2\nyesterday,3\n",
            r"row 4: cannot parse date 'yesterday'",
        ),
        (
            "Date,Close\n2015-01-30T16:00:00+01:00,1\n2015-07-30T16:00:00+02:00,2\n",
            r"column 'Date': the dates carry different time-zone offsets .*write plain dates",
        ),
        ("Day;Price\n2015-01-30;1\n", r"AAA\.csv: no Date column \(found: Day, Price\)"),
        (
            "Date;Close\n2015-01-30;1,5\n2015-02-02;2.5\n",
            r"column 'Close' mixes decimal commas \(row 2 '1,5'\) and decimal points \(row 3 '2\.5'\)",
        ),
    ],
    ids=[
        "mixed-iso-day-first",
        "mixed-one-row",
        "ambiguous-both-sorted",
        "ambiguous-unsorted",
        "day-and-month-first",
        "impossible-day",
        "zero-day",
        "day-first-then-text",
        "mixed-offsets",
        "semicolon-no-date",
        "mixed-decimal-marks",
    ],
)
def test_bad_formats_say_what_to_do(tmp_path: Path, content: str, match: str) -> None:
    with pytest.raises(DataError, match=match):
        read_quietly(write(tmp_path, content))


def test_semicolon_header_is_never_one_column(tmp_path: Path) -> None:
    series, _ = read_quietly(write(tmp_path, "Date;Close\n2015-01-30;1\n"))
    assert series.tolist() == [1.0]
    with pytest.raises(DataError, match="header but no rows") as info:
        read_quietly(write(tmp_path, "Date;Close\n"))
    assert "Date;Close" not in str(info.value)


def test_day_first_file_loads_like_its_iso_twin(tmp_path: Path) -> None:
    days = pd.bdate_range("2015-01-01", periods=40)
    iso = "Date,Close\n" + "".join(f"{d:%Y-%m-%d},{i + 1}\n" for i, d in enumerate(days))
    dmy = "Date;Close\n" + "".join(f"{d:%d.%m.%Y};{i + 1},5\n" for i, d in enumerate(days))
    a, _ = read_quietly(write(tmp_path, iso, "A.csv"))
    b, said = read_quietly(write(tmp_path, dmy, "B.csv"))
    pd.testing.assert_index_equal(a.index, b.index)
    assert (b.to_numpy() - a.to_numpy()) == pytest.approx([0.5] * len(days))
    assert len(said) == 1
