"""Exceptions raised by lcsim.

Every error a user can cause derives from :class:`LcsimError`, so the command
line can report it in one line and exit non-zero.
"""

from __future__ import annotations


class LcsimError(Exception):
    """Base class of every error lcsim raises on purpose."""


class ConfigError(LcsimError, ValueError):
    """A config value is missing, of the wrong type or out of range.

    The message names the key, the value and what is allowed.
    """

    def __init__(self, key: str, value: object, allowed: str) -> None:
        self.key = key
        self.value = value
        self.allowed = allowed
        super().__init__(f"{key}={value!r} is not allowed: {allowed}")


class ResultsError(LcsimError):
    """A results directory is missing, incomplete or unreadable."""
