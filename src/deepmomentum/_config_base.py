"""What every configuration model shares: strict validation, and the configuration's warning."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["ConfigWarning", "Strict"]


class Strict(BaseModel):
    """A configuration table: unknown keys are errors, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ConfigWarning(FutureWarning):
    """A configuration that still loads but should be rewritten (e.g. the old ``[managed_futures]``).

    A ``FutureWarning`` so that users see it by default, unlike ``DeprecationWarning``.
    """
