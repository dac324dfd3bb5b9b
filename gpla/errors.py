"""User-facing errors. The CLI prints their message (no traceback) and exits with status 2."""

from __future__ import annotations


class GplaError(Exception):
    """Bad input or an unrecoverable condition that the user can act on; the message says what and where."""


class DataError(GplaError, ValueError):
    """Input data is malformed: missing columns, non-numeric values, too few rows, singular matrices..."""


class ModelError(GplaError, RuntimeError):
    """A model backend failed for good (after retries) or cannot be loaded."""


class ConfigError(GplaError, ValueError):
    """A configuration file or option is invalid."""
