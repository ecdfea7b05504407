"""What an Alpha Vantage answer body says: data, or which kind of error.

Errors come back as HTTP 200 with a body holding ``"Error Message"``,
``"Note"`` or ``"Information"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

__all__ = ["AnswerKind", "classify_answer", "message_of"]

#: What an Alpha Vantage error body means (see :func:`classify_answer`).
AnswerKind = Literal[
    "burst", "rate_limit", "daily_quota", "premium", "invalid_key", "demo_key", "unknown_symbol", "error"
]
_MESSAGE_FIELDS = ("Error Message", "Note", "Information")


def message_of(payload: Mapping[str, Any]) -> tuple[str, str] | None:
    """The first message field of an answer and its text, or None for a data answer."""
    for field_name in _MESSAGE_FIELDS:
        raw = payload.get(field_name)
        if isinstance(raw, str):
            return field_name, raw.strip()
    return None


def classify_answer(payload: Mapping[str, Any]) -> AnswerKind | None:
    """What kind of message an Alpha Vantage answer carries.

    Parameters
    ----------
    payload : mapping
        The decoded JSON answer.

    Returns
    -------
    str or None
        None for a data answer. ``"burst"``: more than 1 request a second (retry
        after a second); ``"rate_limit"``: the per-minute note (retry with
        backoff); ``"daily_quota"``: the day's requests are spent (stop);
        ``"premium"``: the endpoint or option needs a premium plan;
        ``"invalid_key"``, ``"demo_key"``, ``"unknown_symbol"``; ``"error"``: any
        other message.
    """
    found = message_of(payload)
    if found is None:
        return None
    field_name, text = found
    low = text.lower()
    if "apikey" in low.replace(" ", "") and ("invalid" in low or "missing" in low):
        return "invalid_key"
    if "demo" in low and "api key" in low:
        return "demo_key"
    # Burst and quota texts end "... unlock all premium endpoints": match the claim, not the word.
    if "is a premium endpoint" in low or "premium feature" in low or "premium-only" in low:
        return "premium"
    if field_name == "Error Message":
        return "unknown_symbol" if "invalid api call" in low else "error"
    if "per second" in low or "sparingly" in low or "spreading out" in low:
        return "burst"
    if "per day" in low and "per minute" not in low:
        return "daily_quota"
    if any(w in low for w in ("rate limit", "call frequency", "per minute", "requests")):
        return "rate_limit"
    return "error"
