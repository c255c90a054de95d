"""Tests for notmnist.results: recording headline numbers for the site's home page."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from notmnist import config, results


@pytest.fixture
def results_env(tmp_path, monkeypatch):
    """Point NOTMNIST_RESULTS_DIR at a fresh folder and return it."""
    folder = tmp_path / "results"
    monkeypatch.setenv(config.RESULTS_DIR, str(folder))
    return folder


def test_round_trip_merges_values(results_env):
    """Values recorded in two calls for one page are merged; load returns them per page."""
    results.record("problem5", test_in_train=12, threshold=0.25)
    results.record("problem5", valid_in_train=7, threshold=0.5)
    results.record("data", source="standin", summary="stand-in, seed 133")
    loaded = results.load(results_env)
    assert loaded == {
        "data": {"source": "standin", "summary": "stand-in, seed 133"},
        "problem5": {"test_in_train": 12, "valid_in_train": 7, "threshold": 0.5},
    }


def test_numpy_values_become_plain_json(results_env):
    """NumPy scalars and arrays are stored as plain JSON numbers and lists."""
    returned = results.record(
        "problem6", acc=np.float32(0.75), n=np.int64(3), sizes=np.array([50, 100])
    )
    assert returned == {"acc": 0.75, "n": 3, "sizes": [50, 100]}
    stored = json.loads((results_env / "problem6.json").read_text())
    assert stored == {"acc": 0.75, "n": 3, "sizes": [50, 100]}
    assert type(stored["n"]) is int


def test_no_op_without_env_var(tmp_path, monkeypatch):
    """Without NOTMNIST_RESULTS_DIR nothing is written and the values are handed back."""
    monkeypatch.delenv(config.RESULTS_DIR, raising=False)
    monkeypatch.chdir(tmp_path)
    assert results.record("problem1", n_skipped=5) == {"n_skipped": 5}
    assert list(tmp_path.iterdir()) == []
    assert config.results_dir() is None


def test_atomic_write_keeps_old_file_on_failure(results_env, monkeypatch):
    """A write that fails part-way leaves the previous file intact and no temporary file behind."""
    results.record("problem6", acc_50=0.5)

    def broken_dump(obj, fh, **kwargs):
        fh.write('{"acc_50": 0.')  # half a file, then the disk "fails"
        raise OSError("disk full")

    monkeypatch.setattr(results.json, "dump", broken_dump)
    with pytest.raises(OSError, match="disk full"):
        results.record("problem6", acc_100=0.7)
    assert os.listdir(results_env) == ["problem6.json"]
    assert json.loads((results_env / "problem6.json").read_text()) == {"acc_50": 0.5}


def test_a_reader_of_the_old_file_never_sees_a_mix(results_env):
    """A new record replaces the file whole: a reader that opened the old one still reads it complete."""
    results.record("problem3", balanced=True)
    with open(results_env / "problem3.json", encoding="utf-8") as old:
        results.record("problem3", balanced=False, extra=list(range(1000)))
        assert json.loads(old.read()) == {"balanced": True}
    assert json.loads((results_env / "problem3.json").read_text())["balanced"] is False
    assert os.listdir(results_env) == ["problem3.json"]  # no temporary file left


def test_rejects_values_json_cannot_hold(results_env):
    """A value that is not JSON-serialisable fails with a message naming the key."""
    with pytest.raises(TypeError, match=r"problem2\.figure"):
        results.record("problem2", figure=object())


def test_rejects_page_names_unusable_in_placeholders(results_env):
    """A page name with characters a placeholder cannot hold is refused."""
    with pytest.raises(ValueError, match="page name"):
        results.record("problem 5", x=1)


def test_load_missing_folder_is_empty(tmp_path):
    """Loading a folder that does not exist returns no results."""
    assert results.load(tmp_path / "nowhere") == {}


def test_load_reports_corrupt_file(tmp_path):
    """A results file that is not a JSON object is reported with its path."""
    (tmp_path / "problem1.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="problem1.json"):
        results.load(tmp_path)


# --------------------------------------------------------------------------- placeholders

RESULTS = {
    "problem5": {"test_in_train": 1324, "threshold": 0.25},
    "problem6": {"acc_full": 0.89345},
    "data": {"source": "standin"},
}


def test_placeholders_are_filled_with_format_specs():
    """{{ results.page.key }} takes the recorded value; a format spec after ':' formats it."""
    markdown = (
        "overlap {{ results.problem5.test_in_train:, }}, accuracy "
        "{{results.problem6.acc_full:.3f}}, threshold {{ results.problem5.threshold }}"
    )
    assert results.fill(markdown, RESULTS, "index.md") == (
        "overlap 1,324, accuracy 0.893, threshold 0.25"
    )


def test_missing_value_names_placeholder_and_page():
    """A placeholder with no recorded value fails the build, naming it, its page and what exists."""
    with pytest.raises(results.PlaceholderError, match=r"index\.md.*results\.problem6\.acc_50.*acc_full"):
        results.fill("{{ results.problem6.acc_50 }}", RESULTS, "index.md")
    with pytest.raises(results.PlaceholderError, match=r"data\.md.*nothing was recorded for 'problem9'"):
        results.fill("{{ results.problem9.x }}", RESULTS, "data.md")


def test_malformed_placeholder_fails():
    """A placeholder the pattern cannot read is reported rather than left on the page."""
    with pytest.raises(results.PlaceholderError, match="malformed placeholder"):
        results.fill("{{ results.problem5 }}", RESULTS, "index.md")
    with pytest.raises(results.PlaceholderError, match="cannot format"):
        results.fill("{{ results.data.source:.3f }}", RESULTS, "index.md")


def test_data_blocks_are_filled_by_the_caller_or_left():
    """{{ data.name }} becomes what the caller's function returns, or stays when none is given."""
    markdown = "{{ data.source }}: {{ results.problem5.test_in_train:, }} {{data.other}}"
    assert results.fill(markdown, RESULTS, "data.md", data=str.upper) == "SOURCE: 1,324 OTHER"
    assert results.fill(markdown, RESULTS, "data.md") == "{{ data.source }}: 1,324 {{data.other}}"
    with pytest.raises(results.PlaceholderError, match=r"malformed placeholder \{\{ results\.x \}\}"):
        results.fill("{{ data.source }} {{ results.x }}", RESULTS, "data.md")


def test_provenance_table_lists_archives_and_seed():
    """The data page's provenance block shows every archive's name, size and full SHA-256."""
    prov = {
        "source": "standin",
        "archives": [
            {"subset": "large", "name": "notMNIST_large.tar.gz", "size": 1234567,
             "sha256": "a" * 64},
            {"subset": "small", "name": "notMNIST_small.tar.gz", "size": 4567, "sha256": "b" * 64},
        ],
        "scale": 0.05,
        "seed": 133,
        "sizes": {"train": 10000, "valid": 500, "test": 500},
        "version": "0.1.0",
        "note": None,
    }
    text = results.provenance_markdown(prov)
    assert "| large | `notMNIST_large.tar.gz` | 1,234,567 | `" + "a" * 64 + "` |" in text
    assert "`notMNIST_small.tar.gz` | 4,567 |" in text
    assert "seed: 133" in text and "stand-in scale: 0.05" in text and "train 10,000" in text


def test_shares_and_table_entries_are_derived_when_the_page_is_filled():
    """`key/per` is a share of two recorded counts; `table.entry` an entry of a recorded table."""
    recorded = {
        "problem5": {"test_in_train": 119, "n_test": 1000, "n_none": 0},
        "problem6": {"test": {"50": 0.5912, "all": 0.88}, "n_train": 20000},
    }
    assert results.fill(
        "{{ results.problem5.test_in_train/n_test:.1% }} · {{ results.problem6.test.50:.3f }} · "
        "{{ results.problem6.test.all:.2f }} · {{ results.problem6.test.5000:.3f }} · "
        "{{ results.problem5.test_in_train/n_none:.1% }}",
        recorded, "index.md",
    ) == "11.9% · 0.591 · 0.88 · — · —"  # an entry not recorded, a share of nothing: not applicable
    with pytest.raises(results.PlaceholderError, match="recorded only.*n_test"):
        results.fill("{{ results.problem5.test_in_train/n_tset }}", recorded, "index.md")
    with pytest.raises(results.PlaceholderError, match="not a table"):
        results.fill("{{ results.problem5.n_test.50 }}", recorded, "index.md")


def test_plural_agrees_with_its_number():
    """1 group, 2 groups, 1,035 groups; an irregular plural when given."""
    assert results.plural(1, "group") == "1 group"
    assert results.plural(0, "group") == "0 groups"
    assert results.plural(1035, "group") == "1,035 groups"
    assert results.plural(1, "copy", "copies") == "1 copy"
    assert results.plural(3, "copy", "copies") == "3 copies"
