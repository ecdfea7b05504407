"""Client-side rate limit of Alpha Vantage requests: per minute, per day, per second."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from deepmomentum.data.acquisition._errors import RateLimitError

__all__ = ["RateLimiter"]


class RateLimiter:
    """Client-side limit on request rate: at most ``per_minute`` a minute, ``per_day`` a day.

    Parameters
    ----------
    per_minute : int or None, default 5
        Requests in any 60-second window (free tier: 5); None: no limit.
    per_day : int or None, default 25
        Requests per calendar day (UTC) of this process (free tier: 25); None: no
        limit. When spent, :class:`RateLimitError` is raised rather than waiting.
    clock : callable, default time.time
        Seconds since the epoch.
    sleep : callable, default time.sleep
    min_interval : float, default 0
        Least seconds between two requests (the free tier answers a burst faster
        than 1 a second with a rate-limit note; :meth:`free` sets 1).
    """

    def __init__(
        self,
        per_minute: int | None = 5,
        per_day: int | None = 25,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        min_interval: float = 0.0,
    ) -> None:
        self.per_minute = per_minute
        self.per_day = per_day
        self.clock = clock
        self.sleep = sleep
        self.min_interval = min_interval
        self._last: float | None = None
        self._recent: deque[float] = deque()
        self._day: int | None = None
        self._today_count = 0

    @classmethod
    def free(cls) -> RateLimiter:
        """Free-tier limits: 5 requests a minute, 25 a day, 1 a second."""
        return cls(per_minute=5, per_day=25, min_interval=1.0)

    @classmethod
    def premium(cls, per_minute: int = 75) -> RateLimiter:
        """Premium limits: ``per_minute`` a minute (75 on the smallest plan), no daily cap."""
        return cls(per_minute=per_minute, per_day=None)

    @property
    def used_today(self) -> int:
        """Requests made today by this limiter."""
        return self._today_count if self._day == int(self.clock() // 86400) else 0

    def acquire(self) -> None:
        """Wait until a request is allowed, then count it.

        Raises
        ------
        RateLimitError
            When the daily quota is spent.
        """
        now = self.clock()
        day = int(now // 86400)
        if day != self._day:
            self._day, self._today_count = day, 0
        if self.per_day is not None and self._today_count >= self.per_day:
            raise RateLimitError(
                f"the daily quota of {self.per_day} Alpha Vantage requests is spent; series fetched so "
                "far are kept: rerun tomorrow to continue, or use a premium key (premium = true)"
            )
        if self.per_minute is not None and self.per_minute > 0:
            while True:
                while self._recent and now - self._recent[0] >= 60.0:
                    self._recent.popleft()
                if len(self._recent) < self.per_minute:
                    break
                self.sleep(max(60.0 - (now - self._recent[0]), 0.0) + 0.01)
                now = self.clock()
            self._recent.append(now)
        if self.min_interval > 0 and self._last is not None and now - self._last < self.min_interval:
            self.sleep(self.min_interval - (now - self._last))
            now = self.clock()
        self._last = now
        self._today_count += 1
