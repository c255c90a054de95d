"""Tests of notmnist.errors: one base class for every error the package raises on purpose."""

from __future__ import annotations

import notmnist
from notmnist import archive, cache, config, dataset, errors, export, results
from notmnist.fetch import ArchiveMismatch, DataUnavailable


def test_every_package_error_derives_from_the_base_class():
    """Each error class of the package is a NotMNISTError, so one except clause catches them all."""
    for error in (
        archive.ArchiveError,
        cache.ManifestMismatch,
        dataset.DataError,
        errors.ConfigError,
        export.ExportError,
        DataUnavailable,
        ArchiveMismatch,
        results.PlaceholderError,
    ):
        assert issubclass(error, errors.NotMNISTError), error
    assert notmnist.NotMNISTError is errors.NotMNISTError


def test_built_in_categories_as_scikit_learn_fetchers_raise_them():
    """Missing data is an OSError; bad settings and sizes are ValueErrors."""
    assert issubclass(DataUnavailable, OSError)
    assert issubclass(export.ExportError, OSError)
    assert issubclass(errors.ConfigError, ValueError)
    assert issubclass(dataset.DataError, ValueError)
    assert config.ConfigError is errors.ConfigError


def test_the_command_line_prints_a_package_error_as_one_line(monkeypatch, capsys):
    """Any NotMNISTError raised by a command ends in one 'notmnist: error:' line and exit status 1."""
    from notmnist import __main__

    def fail(args):
        raise errors.NotMNISTError("something is wrong;\n  do this instead")

    parser = __main__._parser()
    args = parser.parse_args(["info"])
    monkeypatch.setattr(__main__, "_parser", lambda: _Fixed(parser, args, fail))
    assert __main__.main(["info"]) == 1
    err = capsys.readouterr().err
    assert err == "notmnist: error: something is wrong; do this instead\n"


class _Fixed:
    """A parser that returns ``args`` with ``run`` replaced."""

    def __init__(self, parser, args, run):
        self.parser, self.args, self.run = parser, args, run

    def parse_args(self, argv):
        self.args.run = self.run
        return self.args
