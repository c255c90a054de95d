"""The package's own errors: one base class, so a caller can catch everything it raises on purpose.

Every error the package raises for bad input or missing data derives from
[`NotMNISTError`][notmnist.errors.NotMNISTError]
and carries a one-line message that says what is wrong and what to do; the command line prints
that line instead of a traceback.  Where a built-in category fits, an error is also of that type,
as scikit-learn's dataset fetchers do: a missing archive is an `OSError`, a bad setting a
`ValueError`.
"""

from __future__ import annotations


class NotMNISTError(Exception):
    """Base class of every error the `notmnist` package raises on purpose."""


class ConfigError(NotMNISTError, ValueError):
    """A setting (argument or environment variable) has a value the package cannot use."""
