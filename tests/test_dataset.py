"""Tests of notmnist.dataset: source choice, splits as the course made them, caches, provenance."""

from __future__ import annotations

import hashlib
import multiprocessing

import numpy as np
import pytest

from notmnist import dataset, pixels, verify
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
    np.testing.assert_array_equal(pixels.normalise(large.images[splits.train_index]), splits.train_images)
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
        m.setattr(verify, "read_archive", lambda *a, **k: pytest.fail("cache not used"))
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


# verification, the SHA-256 side file, cache manifests, the stand-in's scale -------------------------


@pytest.fixture
def published(source, monkeypatch):
    """Make the registry's published size and counts those of the test's small archive."""
    from dataclasses import replace

    from notmnist import registry

    def publish(counts):
        info = replace(registry.ARCHIVES["small"], size=source.paths["small"].stat().st_size, counts=counts)
        monkeypatch.setitem(registry.ARCHIVES, "small", info)

    return publish


@pytest.fixture
def dropped(archive_factory, tmp_path, monkeypatch):
    """Archives dropped into a data folder by hand, the registry's sizes theirs, every mirror refusing."""
    import socket
    from dataclasses import replace

    from notmnist import registry

    home = tmp_path / "home"
    home.mkdir()
    paths = {
        "large": archive_factory("notMNIST_large.tar.gz", per_letter=60),
        "small": archive_factory("notMNIST_small.tar.gz", per_letter=5),
    }
    for subset, path in paths.items():
        paths[subset] = path.rename(home / path.name)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused at once
    monkeypatch.setattr(registry, "MIRRORS", (f"http://127.0.0.1:{sock.getsockname()[1]}/",))
    monkeypatch.setenv("NOTMNIST_DATA_DIR", str(home))
    monkeypatch.setenv("NOTMNIST_STANDIN_SCALE", "0.002")
    monkeypatch.setenv("NOTMNIST_STANDIN_FONTS", "matplotlib")
    dataset._locate.cache_clear()

    def publish(small_counts=(5,) * 10):
        for subset, counts in (("large", (60,) * 10), ("small", small_counts)):
            info = replace(
                registry.ARCHIVES[subset], size=paths[subset].stat().st_size, counts=counts, min_per_letter=1
            )
            monkeypatch.setitem(registry.ARCHIVES, subset, info)

    yield paths, publish
    sock.close()
    dataset._locate.cache_clear()


def test_dropped_archive_is_verified_before_its_first_use(dropped):
    """An archive of the published size and counts is checked on its first use, and the verdict kept."""
    from notmnist import _sidefile

    paths, publish = dropped
    publish()
    assert _sidefile.verification(paths["small"]) is None
    assert load_letters("small", source="real").counts == dict.fromkeys("ABCDEFGHIJ", 5)
    assert _sidefile.verification(paths["small"]) == (True, None)


def test_archive_failing_verification_is_refused_the_first_time_as_the_second(dropped):
    """Wrong per-letter counts at the published size: refused on the first run, never used as "real"."""
    from notmnist.fetch import DataUnavailable

    paths, publish = dropped
    publish((5,) * 9 + (6,))
    wrong = paths["small"].read_bytes()
    errors = []
    for _ in range(2):
        dataset._locate.cache_clear()
        with pytest.raises(DataUnavailable) as caught:
            load_splits(source="real", sizes={"train": 100, "valid": 10, "test": 10})
        errors.append(str(caught.value))
    assert "moved to" in errors[0] and "J 5 (published 6)" not in errors[1]  # the second finds nothing
    assert (paths["small"].parent / "notMNIST_small.tar.gz.invalid").read_bytes() == wrong
    assert not paths["small"].exists()


def test_export_of_a_wrong_archive_writes_nothing(dropped, tmp_path, capsys):
    """`export --source real` on an archive failing verification: status 1, no file, no "real" data."""
    from notmnist.__main__ import main

    paths, publish = dropped
    publish((5,) * 9 + (6,))
    out = tmp_path / "out.npz"
    assert main(["export", "--source", "real", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("notmnist: error: ") and err.count("\n") == 1
    assert not out.exists()


def test_auto_with_a_wrong_archive_uses_the_standin_from_the_first_build(dropped):
    """auto never shows a failing archive as real: the first build already falls back, warning the caller."""
    paths, publish = dropped
    publish((5,) * 9 + (6,))
    with pytest.warns(UserWarning, match="stand-in") as caught:
        src = dataset.locate("auto")
    assert src.kind == "standin"
    warning = next(w for w in caught if "stand-in" in str(w.message))
    assert warning.filename == __file__  # attributed to the caller, not to a module of the package
    assert "not the published archive" in str(warning.message) or "moved to" in str(warning.message)


def test_a_folder_named_like_the_archive_falls_back_with_a_warning(dropped):
    """auto with a folder named notMNIST_large.tar.gz: the stand-in, a warning naming it, the folder kept."""
    paths, publish = dropped
    publish()
    paths["large"].unlink()
    paths["large"].mkdir()
    (paths["large"] / "keep").write_text("user's")
    with pytest.warns(UserWarning, match="is a folder, not the archive"):
        assert dataset.locate("auto").kind == "standin"
    assert (paths["large"] / "keep").read_text() == "user's"


def test_download_check_caches_the_letters_it_read(source, published, monkeypatch, tmp_path):
    """contents_check reads a download once; the first use of the archive reads it from the cache."""
    published((5,) * 9 + (4,))
    assert "J 5 (published 4)" in verify.contents_check("small", tmp_path / "other")(source.paths["small"])
    published((5,) * 10)
    assert verify.contents_check("small", tmp_path / "home")(source.paths["small"]) is None
    monkeypatch.setattr(verify, "read_archive", lambda path: pytest.fail("read twice"))
    assert load_letters("small").counts == dict.fromkeys("ABCDEFGHIJ", 5)


@pytest.mark.parametrize(
    "damage", [lambda a: np.zeros((7, 3)), lambda a: np.full_like(a, 99)], ids=["shape", "labels-99"]
)
def test_damaged_splits_entry_is_rebuilt(source, tmp_path, damage):
    """train_labels replaced by a (7, 3) array, or all set to 99, is caught on load and rebuilt."""
    good = load_splits()
    (entry,) = (tmp_path / "home" / "cache").glob("splits-*")
    np.save(entry / "train_labels.npy", damage(np.load(entry / "train_labels.npy")))
    with pytest.warns(UserWarning, match="does not match its manifest"):
        again = load_splits()
    np.testing.assert_array_equal(again.train_labels, good.train_labels)


def test_standin_scale_matters_only_for_the_standin(monkeypatch, tmp_path, archive_factory):
    """A bad NOTMNIST_STANDIN_SCALE does not break the real source; for the stand-in it is refused first."""
    paths = {"large": archive_factory("notMNIST_large.tar.gz"), "small": archive_factory()}
    monkeypatch.setattr(dataset, "fetch", lambda subset, **kw: paths[subset])
    dataset._locate.cache_clear()
    for value in ("abc", "1e-9"):
        monkeypatch.setenv("NOTMNIST_STANDIN_SCALE", value)
        assert dataset.locate("real", data_home=tmp_path).kind == "real"
    with pytest.raises(ValueError, match=r"NOTMNIST_STANDIN_SCALE must be between 0\.001 .* got 1e-09"):
        dataset.locate("standin", data_home=tmp_path)
    monkeypatch.setenv("NOTMNIST_STANDIN_SCALE", "abc")
    with pytest.raises(ValueError, match="NOTMNIST_STANDIN_SCALE='abc' is not a number"):
        dataset.locate("standin", data_home=tmp_path)
    assert not (tmp_path / "standin").exists()


