"""The docs toolchain: Python 3.14 readiness of mkdocs-gallery, and the versions the project accepts."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = sorted((ROOT / "problems").glob("plot_*.py"))

# Run in a fresh interpreter: delete what Python 3.14 removed from ``ast``, then parse every
# problem script with mkdocs-gallery, with or without docs/gallery.py's shim.
_PARSE = """
import ast, inspect, json, sys
REMOVED = ("Str", "Num", "Bytes", "NameConstant", "Ellipsis")
for name in REMOVED:
    if name in vars(ast):
        delattr(ast, name)
if "__getattr__" in vars(ast):  # 3.12 and 3.13 serve the removed names with a warning
    del ast.__getattr__
for name in ("s", "n"):
    if name in vars(ast.Constant):
        delattr(ast.Constant, name)

def get_docstring(node, clean=True):  # Python 3.14's, which no longer looks for ast.Str
    if not isinstance(node, (ast.AsyncFunctionDef, ast.FunctionDef, ast.ClassDef, ast.Module)):
        raise TypeError(f"{node.__class__.__name__!r} can't have docstrings")
    if not (node.body and isinstance(node.body[0], ast.Expr)):
        return None
    node = node.body[0].value
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return None
    return inspect.cleandoc(node.value) if clean else node.value

ast.get_docstring = get_docstring
assert not any(hasattr(ast, name) for name in REMOVED)
assert not hasattr(ast.Constant(value="x"), "s") and not hasattr(ast.Constant(value=1), "n")
sys.path.insert(0, sys.argv[1])
import gallery
if sys.argv[2] == "shim":
    gallery.patch_python_314()
from mkdocs_gallery.py_source_parser import split_code_and_text_blocks
out = {}
for script in sys.argv[3:]:
    try:
        conf, blocks, _node = split_code_and_text_blocks(script, return_node=True)
        out[script] = [conf, blocks]
    except AttributeError as exc:
        out[script] = f"AttributeError: {exc}"
print(json.dumps(out))
"""


def _parse(shim: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _PARSE, str(ROOT / "docs"), shim, *map(str, PROBLEMS)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def _parse_here() -> dict:
    """The gallery's own parser, unpatched, on this Python (which still has ``ast.Str``)."""
    from mkdocs_gallery.py_source_parser import split_code_and_text_blocks

    out = {}
    for script in PROBLEMS:
        conf, blocks, _node = split_code_and_text_blocks(str(script), return_node=True)
        out[str(script)] = json.loads(json.dumps([conf, blocks]))
    return out


def test_the_gallery_parses_every_problem_without_what_python_314_removed():
    assert len(PROBLEMS) == 6
    parsed = _parse("shim")
    assert parsed == _parse_here()  # the same docstring, text and code blocks, line numbers
    for script, (_conf, blocks) in parsed.items():
        assert blocks[0][0] == "text" and blocks[0][1].strip().startswith("Problem"), script
        assert any(kind == "code" for kind, _, _ in blocks), script


def test_without_the_shim_the_gallery_fails_where_python_314_would():
    """The test above can fail: with the names deleted, the unpatched gallery breaks on them."""
    parsed = _parse("no-shim")
    assert all(isinstance(v, str) and "Str" in v for v in parsed.values()), parsed


def test_the_shim_keeps_a_leading_newline_and_the_line_after_the_docstring(tmp_path):
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import gallery
    finally:
        sys.path.remove(str(ROOT / "docs"))
    from mkdocs_gallery.py_source_parser import _get_docstring_and_rest

    for source in (
        '"""\nTitle\n=====\n\nText.\n"""\nx = 1\n',
        '"""Title on the first line."""\n\n# a comment\nx = 1\n',
        "# coding: utf-8\n'''Title\n\nmore'''\nprint(1)\n",
        "x = (\n",  # a syntax error: the gallery's own fallback page
    ):
        script = tmp_path / "plot_x.py"
        script.write_text(source)
        ours, theirs = gallery.get_docstring_and_rest(script), _get_docstring_and_rest(script)
        assert ours[:3] == theirs[:3], source
    script.write_text("x = 1\n")
    with pytest.raises(Exception, match="Could not find docstring"):
        gallery.get_docstring_and_rest(script)


def _makefile_variable(name: str) -> str:
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    return re.search(rf"^{name} \??:?= (.*)$", text, re.M)[1]


def test_requires_python_and_the_makefile_accept_311_to_314():
    from packaging.specifiers import SpecifierSet

    spec = SpecifierSet(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    condition = _makefile_variable("SUPPORTED")  # the Makefile's test of an interpreter
    for minor in range(8, 17):
        accepted = 11 <= minor <= 14
        assert (f"3.{minor}" in spec) == accepted, (spec, minor)
        version_info = (3, minor, 0, "final", 0)
        assert eval(condition, {"sys": type("sys", (), {"version_info": version_info})}) == accepted
    assert all(f"python3.{minor}" in _makefile_variable("PYTHON") for minor in range(11, 15))


def _strict(code: str) -> subprocess.CompletedProcess:
    from sitebuild import TOOLCHAIN_WARNINGS_AS_ERRORS

    return subprocess.run(
        [sys.executable, "-W", "default::DeprecationWarning", "-c", TOOLCHAIN_WARNINGS_AS_ERRORS + code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_the_site_builds_turn_the_toolchains_deprecation_warnings_into_errors():
    """The filter of the test builds (sitebuild.py): a toolchain module's DeprecationWarning stops them."""
    raise_in = (
        "import types\n"
        "m = types.ModuleType({name!r})\n"
        "exec('import warnings; warnings.warn(\"gone in the next Python\", DeprecationWarning)', vars(m))\n"
    )
    for module in ("mkdocs_gallery.py_source_parser", "properdocs.utils", "material.plugins.search"):
        proc = _strict(raise_in.format(name=module))
        assert proc.returncode == 1 and "DeprecationWarning: gone in the next Python" in proc.stderr, module
    proc = _strict(raise_in.format(name="numpy.linalg"))  # not the toolchain: a warning, not an error
    assert proc.returncode == 0 and "gone in the next Python" in proc.stderr


@pytest.mark.skipif(sys.version_info < (3, 12), reason="Python 3.12 is the first to warn on ast.Str")
def test_on_python_312_and_later_the_unshimmed_gallery_fails_the_strict_build():
    call = (
        "from pathlib import Path\n"
        "sys.path.insert(0, 'docs')\n"
        "import gallery\n"
        "{patch}\n"
        "from mkdocs_gallery.py_source_parser import split_code_and_text_blocks\n"
        f"split_code_and_text_blocks({str(PROBLEMS[0])!r})\n"
    )
    failed = _strict(call.format(patch="pass"))
    assert failed.returncode == 1 and "ast.Str is deprecated" in failed.stderr
    passed = _strict(call.format(patch="gallery.patch_python_314()"))
    assert passed.returncode == 0, passed.stderr[-2000:]
