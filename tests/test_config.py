"""Tests of notmnist.config: the data folder and every environment variable, read in one place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from notmnist import config
from notmnist.errors import ConfigError, NotMNISTError

PACKAGE = Path(config.__file__).parent


def test_no_other_module_reads_the_environment():
    """Only config.py reads environment variables or the platform cache folder."""
    readers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "config.py":
            continue
        code = "\n".join(line.split("#")[0] for line in path.read_text(encoding="utf-8").splitlines())
        if re.search(r"os\.environ|os\.getenv|user_cache_dir\(", code):
            readers.append(str(path.relative_to(PACKAGE)))
    assert readers == []


def test_data_home_argument_then_variable_then_platform_cache(tmp_path, monkeypatch):
    """An argument wins over NOTMNIST_DATA_DIR, which wins over the platform cache; all are created."""
    monkeypatch.setenv("NOTMNIST_DATA_DIR", str(tmp_path / "from-env"))
    assert config.data_home(tmp_path / "given") == tmp_path / "given"
    assert (tmp_path / "given").is_dir()
    assert config.data_home() == tmp_path / "from-env"
    monkeypatch.delenv("NOTMNIST_DATA_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert config.data_home() == tmp_path / "xdg" / "notmnist"


def test_data_home_argument_wins_over_env(tmp_path, monkeypatch):
    """An explicit data_home beats NOTMNIST_DATA_DIR, has ~ expanded and is created."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NOTMNIST_DATA_DIR", str(tmp_path / "from-env"))
    folder = config.data_home("~/from-arg")
    assert folder == tmp_path / "from-arg"
    assert folder.is_dir()
    assert not (tmp_path / "from-env").exists()


def test_data_home_defaults_to_platform_cache(tmp_path, monkeypatch):
    """With no argument and no env variable, the platform cache folder for "notmnist" is used."""
    import platformdirs

    asked = []

    def cache_dir(appname, *args, **kwargs):
        asked.append(appname)
        return str(tmp_path / "cache" / appname)

    monkeypatch.setattr(platformdirs, "user_cache_dir", cache_dir)
    monkeypatch.delenv("NOTMNIST_DATA_DIR", raising=False)
    assert config.data_home() == tmp_path / "cache" / "notmnist"
    assert asked == ["notmnist"]
    assert (tmp_path / "cache" / "notmnist").is_dir()


def test_data_home_that_cannot_be_created_says_how_to_choose_another(tmp_path):
    """A data folder under a file is an OSError naming the folder and the variable."""
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError, match=r"cannot create the data folder .*NOTMNIST_DATA_DIR"):
        config.data_home(tmp_path / "file" / "sub")


@pytest.mark.parametrize(
    ("function", "variable", "value", "message"),
    [
        (config.source, "NOTMNIST_SOURCE", "fake", r"unknown data source 'fake' \(from NOTMNIST_SOURCE"),
        (config.standin_scale, "NOTMNIST_STANDIN_SCALE", "abc", r"NOTMNIST_STANDIN_SCALE='abc' is not a"),
        (config.standin_scale, "NOTMNIST_STANDIN_SCALE", "1e-9", r"NOTMNIST_STANDIN_SCALE must be betwe"),
        (config.standin_fonts, "NOTMNIST_STANDIN_FONTS", "comic", r"unknown stand-in font set 'comic'"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch, function, variable, value, message):
    """A bad environment value is a ConfigError (a ValueError) whose message names the variable."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=message) as info:
        function()
    assert isinstance(info.value, ValueError) and isinstance(info.value, NotMNISTError)


def test_arguments_win_over_the_environment(monkeypatch):
    """An explicit argument is used whatever the environment says, and is checked the same way."""
    monkeypatch.setenv("NOTMNIST_SOURCE", "real")
    monkeypatch.setenv("NOTMNIST_STANDIN_SCALE", "0.5")
    monkeypatch.setenv("NOTMNIST_STANDIN_FONTS", "matplotlib")
    assert config.source("standin") == "standin"
    assert config.standin_scale(0.2) == 0.2
    assert config.standin_fonts("all") == "all"
    with pytest.raises(ConfigError, match=r"stand-in scale must be between"):
        config.standin_scale(2.0)


def test_defaults(monkeypatch):
    """Unset variables give auto, the default scale, all fonts and no results folder."""
    for var in (config.SOURCE, config.STANDIN_SCALE, config.STANDIN_FONTS, config.RESULTS_DIR):
        monkeypatch.delenv(var, raising=False)
    assert config.source() == "auto"
    assert config.standin_scale() == config.DEFAULT_STANDIN_SCALE
    assert config.standin_fonts() == "all"
    assert config.results_dir() is None


def test_stand_in_font_caches_live_in_the_data_folder(tmp_path, monkeypatch):
    """The stand-in's font caches are written under NOTMNIST_DATA_DIR, not the user's cache."""
    from notmnist.standin import fonts

    monkeypatch.setenv("NOTMNIST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if hasattr(fonts.find_fonts, "cache_clear"):
        fonts.find_fonts.cache_clear()
    found = fonts.find_fonts("matplotlib")
    fonts.fonts_hash(found[:2])
    written = {p.name for p in (tmp_path / "data").iterdir()}
    assert any(name.startswith("standin-font") for name in written), written
    assert not (tmp_path / "xdg").exists()


def test_a_data_folder_on_a_symlink_loop_says_so(tmp_path):
    """A data folder that is a link in a loop: the error names the link and the loop, not "File exists"."""
    from notmnist.config import data_home

    loop = tmp_path / "loop"
    loop.symlink_to(tmp_path / "loop")
    with pytest.raises(OSError, match=rf"{loop} is a symbolic link in a loop"):
        data_home(loop)
    with pytest.raises(OSError, match=rf"{loop} is a symbolic link in a loop"):
        data_home(loop / "sub")
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere" / "deeper")
    with pytest.raises(OSError, match="is a symbolic link to nothing"):
        data_home(dangling)
