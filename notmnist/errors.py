"""The package's own errors: one base class, so a caller can catch everything it raises on purpose.

Each carries a one-line message saying what is wrong and what to do (the command line prints it
instead of a traceback) and, as in scikit-learn's fetchers, a built-in category where one fits:
a missing archive is an `OSError`, a bad setting a `ValueError`.
"""

from __future__ import annotations


class NotMNISTError(Exception):
    """Base class of every error the `notmnist` package raises on purpose."""


class ConfigError(NotMNISTError, ValueError):
    """A setting (argument or environment variable) has a value the package cannot use."""
