"""A fake Alpha Vantage: a real HTTP server on 127.0.0.1 answering in the real formats."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

API_KEY = "SECRETKEY9f3c2d71ab"

FIXTURES = Path(__file__).parent / "fixtures" / "alphavantage"


def recorded(name: str) -> dict[str, str]:
    """A recorded Alpha Vantage error body (``fixtures/alphavantage/<name>.json``)."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


# Real bodies of each message kind (see fixtures/alphavantage/README.md).
BURST = recorded("burst")
RATE_NOTE = recorded("rate_limit_note")
DAILY_QUOTA = recorded("daily_quota")
PREMIUM = recorded("premium_endpoint")
BAD_SYMBOL = recorded("unknown_symbol")
BAD_KEY = recorded("invalid_key")


def bdays(n: int, end: pd.Timestamp | None = None) -> pd.DatetimeIndex:
    """``n`` business days ending on the last business day before today."""
    end = end or (pd.Timestamp.today().normalize() - pd.offsets.BDay(1))
    return pd.bdate_range(end=end, periods=n)


def daily_payload(
    symbol: str, dates: pd.DatetimeIndex, closes: list[float], adjusted: bool = False
) -> dict[str, Any]:
    """A TIME_SERIES_DAILY(_ADJUSTED) answer: newest first, every value a string."""
    block: dict[str, dict[str, str]] = {}
    for d, c in sorted(zip(dates, closes, strict=True), reverse=True):
        row = {
            "1. open": f"{c:.4f}",
            "2. high": f"{c * 1.01:.4f}",
            "3. low": f"{c * 0.99:.4f}",
            "4. close": f"{c:.4f}",
        }
        if adjusted:
            row |= {
                "5. adjusted close": f"{c * 0.98:.4f}",
                "6. volume": "123456",
                "7. dividend amount": "0.0000",
                "8. split coefficient": "1.0",
            }
        else:
            row["5. volume"] = "123456"
        block[d.strftime("%Y-%m-%d")] = row
    function = (
        "Daily Time Series with Splits and Dividend Events"
        if adjusted
        else "Daily Prices (open, high, low, close) and Volumes"
    )
    return {
        "Meta Data": {
            "1. Information": function,
            "2. Symbol": symbol,
            "3. Last Refreshed": dates.max().strftime("%Y-%m-%d"),
            "4. Output Size": "Compact",
            "5. Time Zone": "US/Eastern",
        },
        "Time Series (Daily)": block,
    }


def fx_payload(base: str, quote: str, dates: pd.DatetimeIndex, closes: list[float]) -> dict[str, Any]:
    block = {
        d.strftime("%Y-%m-%d"): {
            "1. open": f"{c:.5f}",
            "2. high": f"{c:.5f}",
            "3. low": f"{c:.5f}",
            "4. close": f"{c:.5f}",
        }
        for d, c in sorted(zip(dates, closes, strict=True), reverse=True)
    }
    return {
        "Meta Data": {
            "1. Information": "Forex Daily Prices (open, high, low, close)",
            "2. From Symbol": base,
            "3. To Symbol": quote,
            "4. Output Size": "Full size",
            "5. Last Refreshed": dates.max().strftime("%Y-%m-%d"),
            "6. Time Zone": "UTC",
        },
        "Time Series FX (Daily)": block,
    }


def value_payload(
    name: str, dates: pd.DatetimeIndex, values: list[float | None], unit: str = "dollars per barrel"
) -> dict[str, Any]:
    return {
        "name": name,
        "interval": "daily",
        "unit": unit,
        "data": [
            {"date": d.strftime("%Y-%m-%d"), "value": "." if v is None else f"{v:.2f}"}
            for d, v in sorted(zip(dates, values, strict=True), reverse=True)
        ],
    }


class FakeAlphaVantage:
    """Scripted answers per request key; anything unscripted gets a valid default answer.

    ``script[key]`` is a list of answers served in order (the last one repeats).
    An answer is a dict (JSON, HTTP 200) or a tuple:
    ``("status", code)``, ``("sleep", seconds)``, ``("truncated",)``, ``("badjson",)``.
    Keys: ``"TIME_SERIES_DAILY:SPY"``, ``"FX_DAILY:EUR/USD"``, ``"BRENT"``.
    """

    def __init__(self) -> None:
        self.script: dict[str, list[Any]] = {}
        self.requests: list[dict[str, str]] = []
        self.served: dict[str, int] = defaultdict(int)
        self.n_days = 30
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @staticmethod
    def key_of(params: dict[str, str]) -> str:
        function = params.get("function", "")
        if function.startswith("TIME_SERIES"):
            return f"{function}:{params.get('symbol', '')}"
        if function == "FX_DAILY":
            return f"FX_DAILY:{params.get('from_symbol', '')}/{params.get('to_symbol', '')}"
        return function

    def count(self, key: str | None = None) -> int:
        """Requests received (for ``key`` only, if given)."""
        with self.lock:
            return sum(1 for r in self.requests if key is None or self.key_of(r) == key)

    def default_answer(self, params: dict[str, str]) -> dict[str, Any]:
        function = params.get("function", "")
        dates = bdays(self.n_days)
        closes = [100.0 + i for i in range(self.n_days)]
        if function.startswith("TIME_SERIES"):
            return daily_payload(
                params.get("symbol", "X"), dates, closes, adjusted=function.endswith("ADJUSTED")
            )
        if function == "FX_DAILY":
            return fx_payload(
                params["from_symbol"],
                params["to_symbol"],
                dates,
                [1.1 + i / 1000 for i in range(self.n_days)],
            )
        return value_payload(function, dates, [50.0 + i for i in range(self.n_days)])

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, body: bytes, length: int | None = None) -> None:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body) if length is None else length))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()

            def do_GET(self) -> None:
                params = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                key = fake.key_of(params)
                with fake.lock:
                    fake.requests.append(params)
                    answers = fake.script.get(key)
                    i = fake.served[key]
                    fake.served[key] += 1
                answer: Any = (
                    fake.default_answer(params) if not answers else answers[min(i, len(answers) - 1)]
                )
                try:
                    if isinstance(answer, dict):
                        self._send(200, json.dumps(answer).encode())
                    elif answer[0] == "status":
                        self._send(answer[1], b"<html>Internal Server Error</html>")
                    elif answer[0] == "sleep":
                        time.sleep(answer[1])
                        self._send(200, json.dumps(fake.default_answer(params)).encode())
                    elif answer[0] == "truncated":
                        body = json.dumps(fake.default_answer(params)).encode()
                        self._send(200, body[: len(body) // 2], length=len(body))
                        self.close_connection = True
                    elif answer[0] == "badjson":
                        body = json.dumps(fake.default_answer(params)).encode()
                        self._send(200, body[: len(body) // 2])
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler


@pytest.fixture
def fake_av() -> Iterator[FakeAlphaVantage]:
    fake = FakeAlphaVantage()
    fake.thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()


@pytest.fixture
def av_env(fake_av: FakeAlphaVantage, monkeypatch: pytest.MonkeyPatch) -> FakeAlphaVantage:
    """The fake server and key in the environment, as a user would set them."""
    monkeypatch.setenv("ALPHAVANTAGE_API_KEY", API_KEY)
    monkeypatch.setenv("ALPHAVANTAGE_BASE_URL", fake_av.url)
    return fake_av
