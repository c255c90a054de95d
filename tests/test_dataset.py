"""Tests of notmnist.dataset: source choice, splits as the course made them, caches, provenance."""

from __future__ import annotations

import hashlib
import multiprocessing

import numpy as np
import pytest

from notmnist import dataset
from notmnist.dataset import DataError, DataSource, load_letters, load_splits

SCALE = 0.001  # minimum per letter: large 45, small 1; splits: train 200, valid 10, test 10


@pytest.fixture
def source(archive_factory, tmp_path, monkeypatch):
    """Two small archives standing in for the real ones, and locate() pointed at them."""
    paths = {
        "large": archive_factory("notMNIST_large.tar.gz", per_letter=60),
        "small": archive_factory("notMNIST_small.tar.gz", per_letter=5),
    }
    src = DataSource("real", paths, scale=SCALE)
    monkeypatch.setattr(dataset, "locate", lambda source=None, **kw: src)
    monkeypatch.setenv("NOTMNIST_DATA_DIR", str(tmp_path / "home"))
    return src


def test_splits_have_course_shape(source):
    """Splits are float32 in [-0.5, 0.5], sized as asked, with the same count for every letter."""
    splits = load_splits(sizes={"train": 300, "valid": 50, "test": 30})
    for name, n in (("train", 300), ("valid", 50), ("test", 30)):
        images, labels = splits.sets[name]
        assert images.shape == (n, 28, 28) and images.dtype == np.float32
        assert labels.dtype == np.int64
        assert images.min() >= -0.5 and images.max() <= 0.5
        assert np.all(np.bincount(labels, minlength=10) == n // 10)


def test_train_and_valid_are_disjoint_and_match_the_archive(source):
    """Train and valid never share an archive position, and each image is its archive image."""
    splits = load_splits()
    assert not set(splits.train_index) & set(splits.valid_index)
    large = load_letters("large")
    np.testing.assert_array_equal(dataset.normalise(large.images[splits.train_index]), splits.train_images)
    np.testing.assert_array_equal(large.labels[splits.train_index], splits.train_labels)


def test_splits_are_shuffled(source):
    """Labels of a split are permuted, not grouped by letter."""
    labels = load_splits().train_labels
    assert np.mean(labels[1:] == labels[:-1]) < 0.5


def test_seed_decides_the_splits(source):
    """The same seed gives identical splits; another seed gives different ones."""
    a, b = load_splits(seed=1), load_splits(seed=1)
    c = load_splits(seed=2)
    np.testing.assert_array_equal(a.train_index, b.train_index)
    assert not np.array_equal(a.train_index, c.train_index)
    assert a.provenance.seed == 1 and c.provenance.seed == 2


def test_cache_is_reused_and_keyed(source, monkeypatch, tmp_path):
    """A second call reads the cache; another seed or size makes a new cache entry."""
    first = load_splits(seed=5)
    cache = tmp_path / "home" / "cache"
    before = set(cache.glob("splits-*"))
    with monkeypatch.context() as m:
        m.setattr(dataset, "read_archive", lambda *a, **k: pytest.fail("cache not used"))
        again = load_splits(seed=5)
        load_letters("large")
    assert set(cache.glob("splits-*")) == before
    np.testing.assert_array_equal(first.train_images, again.train_images)
    load_splits(seed=6)
    load_splits(seed=5, sizes={"train": 100})
    assert len(set(cache.glob("splits-*")) - before) == 2


def test_cached_arrays_are_read_only_on_first_and_later_calls(source):
    """Cold and warm calls return the same read-only arrays: a cache can't be changed by accident."""
    for splits in (load_splits(), load_splits()):
        assert splits.train_images.dtype == np.float32
        with pytest.raises(ValueError, match="read-only"):
            splits.train_images[0, 0, 0] = 1.0


def test_changed_archive_changes_the_key(source, archive_factory):
    """Replacing an archive by different content never reuses its old cache."""
    first = load_splits()
    archive_factory("notMNIST_large.tar.gz", per_letter=61)
    second = load_splits()
    assert first.provenance.archives[0].sha256 != second.provenance.archives[0].sha256


def test_corrupt_cache_is_rebuilt_with_a_warning(source, tmp_path):
    """A truncated cache file is detected, a warning names it, and the result is still right."""
    good = load_splits()
    (entry,) = (tmp_path / "home" / "cache").glob("splits-*")
    path = entry / "train_images.npy"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.warns(UserWarning, match="unreadable"):
        again = load_splits()
    np.testing.assert_array_equal(good.train_images, again.train_images)
    assert np.load(path, allow_pickle=False).shape == good.train_images.shape


def _prepare_in_child(queue):
    splits = load_splits(seed=9)
    queue.put(splits.train_index.tolist())


def test_two_processes_preparing_at_once_both_succeed(source, tmp_path):
    """Concurrent preparation leaves one complete cache and gives both processes the same splits."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_prepare_in_child, args=(queue,)) for _ in range(2)]
    for w in workers:
        w.start()
    results = [queue.get(timeout=60) for _ in workers]
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    assert results[0] == results[1]
    cache = tmp_path / "home" / "cache"
    assert list(cache.iterdir()), "nothing was cached, so the next check would prove nothing"
    assert not list(cache.glob(".*.part")), "a temporary file or folder was left behind"
    assert load_splits(seed=9).train_index.tolist() == results[0]


def test_too_few_images_for_a_letter_names_it(archive_factory, tmp_path, monkeypatch):
    """A letter under the minimum fails with the letter and its count in the message."""
    paths = {
        "large": archive_factory(
            "notMNIST_large.tar.gz", per_letter={**dict.fromkeys("ABCDEFGHIJ", 60), "D": 12}
        ),
        "small": archive_factory("notMNIST_small.tar.gz", per_letter=5),
    }
    monkeypatch.setattr(dataset, "locate", lambda source=None, **kw: DataSource("real", paths, scale=SCALE))
    monkeypatch.setenv("NOTMNIST_DATA_DIR", str(tmp_path / "home"))
    with pytest.raises(DataError, match="D has 12"):
        load_letters("large")


def test_splits_larger_than_the_archive_are_refused(source):
    """Asking for more images per letter than exist says how many there are."""
    with pytest.raises(DataError, match="has 60 images, the splits need 201"):
        load_splits(sizes={"train": 2000, "valid": 10})


def test_bad_sizes_are_refused(source):
    """Sizes that are not multiples of 10, or unknown split names, are clear errors."""
    with pytest.raises(ValueError, match="multiple of 10"):
        load_splits(sizes={"train": 105})
    with pytest.raises(ValueError, match="unknown split"):
        load_splits(sizes={"training": 100})


def test_provenance_names_the_archives(source):
    """Provenance carries names, sizes and SHA-256 of the archives, the seed and the version."""
    prov = load_splits(seed=7).provenance
    names = {a.name: a for a in prov.archives}
    path = source.paths["large"]
    assert names[path.name].sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert names[path.name].size == path.stat().st_size
    assert prov.seed == 7 and prov.version
    assert "seed 7" in prov.summary() and path.name in prov.summary()
    assert prov.to_dict()["source"] == "real"


def test_source_comes_from_argument_then_environment(monkeypatch):
    """The argument wins over NOTMNIST_SOURCE, which wins over the default auto; typos are refused."""
    monkeypatch.delenv("NOTMNIST_SOURCE", raising=False)
    assert dataset.resolve_source() == "auto"
    monkeypatch.setenv("NOTMNIST_SOURCE", "standin")
    assert dataset.resolve_source() == "standin"
    assert dataset.resolve_source("real") == "real"
    with pytest.raises(ValueError, match="choose one of auto, real, standin"):
        dataset.resolve_source("reel")


def test_auto_falls_back_to_the_standin_and_says_so(tmp_path, monkeypatch):
    """Without the real archives and without network, auto renders the stand-in and warns."""
    from notmnist.fetch import DataUnavailable

    def offline(subset, **kwargs):
        raise DataUnavailable(f"{subset}: no network here")

    monkeypatch.setattr(dataset, "fetch", offline)
    monkeypatch.setenv("NOTMNIST_STANDIN_SCALE", "0.002")
    dataset._locate.cache_clear()
    with pytest.warns(UserWarning, match="stand-in"):
        src = dataset.locate("auto", data_home=tmp_path)
    assert src.kind == "standin" and src.note
    assert all(p.exists() for p in src.paths.values())
    prov = src.provenance()
    assert prov.source == "standin" and "stand-in" in prov.summary()
    assert "chosen automatically" in prov.summary()
