"""The package's imports flow one way: no cycle, and no module imports a later stage.

The stages are those of shared/DESIGN.md: registry -> fetch -> archive -> dataset -> {duplicates,
sanitising, baseline} -> {fidelity, plots, results} -> the command line.  Imports are read from the
source (every ``import`` statement, function-level ones included) by the same reader that keys the
caches (`notmnist._imports.package_imports`), not from a running interpreter.
"""

from __future__ import annotations

from pathlib import Path

from notmnist._imports import package_imports

PACKAGE = Path(__file__).resolve().parents[1] / "notmnist"

# Stage of each module (a subpackage's modules share its stage); a module may import its own
# stage or an earlier one, never a later one.
STAGES: dict[str, int] = {
    "_version": 0, "registry": 0, "config": 0, "pixels": 0, "_io": 0, "_workers": 0, "_sidefile": 0,
    "errors": 0, "_text": 0, "_real_glyphs": 0, "_imports": 0,
    "cache": 1, "_tarstream": 1, "_png": 1, "_decode": 1,
    "archive": 2, "verify": 2, "fetch": 2,
    "standin": 3,
    "dataset": 4,
    "duplicates": 5, "sanitise": 5, "baseline": 5,
    "fidelity": 6, "plots": 6, "results": 6, "export": 6,
    "__main__": 7,
}


def module_name(path: Path, root: Path = PACKAGE) -> str:
    """``notmnist/duplicates/near.py`` -> ``duplicates.near``; a package's ``__init__`` is the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or "__init__"


def imports_of(path: Path, root: Path = PACKAGE) -> set[str]:
    """The package modules ``path`` imports, anywhere in its source (the package's own reader)."""
    name = module_name(path, root)
    return {module_name(p, root) for p in package_imports(path, root)} - {name}


def graph() -> dict[str, set[str]]:
    """Every module of the package and the package modules it imports."""
    return {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def stage(name: str) -> int:
    top = name.split(".")[0]
    assert top in STAGES, f"notmnist.{name} has no stage: add it to STAGES in {Path(__file__).name}"
    return STAGES[top]


def test_every_module_has_a_stage():
    """A new module is placed in the flow on purpose, not by accident."""
    for name in graph():
        if name != "__init__":
            stage(name)


def test_no_module_imports_the_package_itself():
    """Only the package's __init__ gathers the modules; none of them imports it back."""
    back = [f"notmnist.{a}" for a, targets in graph().items() if "__init__" in targets and a != "__init__"]
    assert back == []


def test_no_module_imports_a_later_stage():
    """Data flows one way: each import names a module of the same or an earlier stage."""
    backward = [
        f"notmnist.{a} (stage {stage(a)}) imports notmnist.{b} (stage {stage(b)})"
        for a, targets in graph().items()
        if a != "__init__"
        for b in sorted(targets - {"__init__"})
        if stage(b) > stage(a)
    ]
    assert backward == []


def test_no_import_cycle():
    """Following imports from any module never leads back to it."""
    edges = graph()
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            cycle = path[path.index(node):] + [node]
            raise AssertionError("import cycle: " + " -> ".join(f"notmnist.{m}" for m in cycle))
        if node in done:
            return
        for nxt in sorted(edges.get(node, ())):
            if nxt.split(".")[0] != "__init__":
                visit(nxt, [*path, node])
        done.add(node)

    for name in edges:
        if name != "__init__":
            visit(name, [])


def test_the_walker_sees_function_level_and_relative_imports(tmp_path):
    """The import reader finds imports inside functions and resolves relative ones."""
    pkg = tmp_path / "notmnist"
    (pkg / "sub").mkdir(parents=True)
    for f in ("__init__.py", "a.py", "b.py", "sub/__init__.py", "sub/c.py"):
        (pkg / f).write_text("")
    (pkg / "a.py").write_text("def f():\n    from .b import x\n    from .sub import c\n")
    (pkg / "sub" / "c.py").write_text("from .. import a\nimport notmnist.b\n")
    (pkg / "b.py").write_text("from . import __version__\n")
    assert imports_of(pkg / "a.py", pkg) == {"b", "sub.c"}
    assert imports_of(pkg / "b.py", pkg) == {"__init__"}
    assert imports_of(pkg / "sub" / "c.py", pkg) == {"a", "b"}


def test_importing_the_package_loads_no_stage_until_a_name_is_used():
    """``import notmnist`` imports no stage module; a public name imports its own module on first use."""
    import subprocess
    import sys

    code = (
        "import sys, notmnist\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('notmnist.'))\n"
        "assert loaded == ['notmnist._version'], loaded\n"
        "import notmnist.dataset\n"  # binds the submodule notmnist.fetch on the package...
        # ...which must not replace the function of that name
        "assert callable(notmnist.fetch) and notmnist.fetch.__module__ == 'notmnist.fetch'\n"
        "assert notmnist.load_splits.__module__ == 'notmnist.dataset'\n"
        "assert set(notmnist.__all__) == {'__version__', *notmnist._EXPORTS} <= set(dir(notmnist))\n"
        "assert not hasattr(notmnist, 'no_such_name')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=PACKAGE.parent, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
