"""The package's import graph, read from its source: the one reader of it.

[`notmnist.cache.code_hash`][notmnist.cache.code_hash] keys results by the closure of a module's imports;
`tests/test_imports.py` checks that imports flow one way; the site orders its reference by them.
Relative and `notmnist.` imports count, function bodies included.
"""

from __future__ import annotations

import ast
import functools
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def code_closure(*modules) -> list[Path]:
    """Source files of `modules` (module objects, or paths relative to the package) and all they import."""
    todo = [PACKAGE / m if isinstance(m, str) else Path(m.__file__).resolve() for m in modules]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            todo.extend(package_imports(path))
    return sorted(seen)


def package_imports(path: str | os.PathLike, root: str | os.PathLike | None = None) -> tuple[Path, ...]:
    """Source files of the package modules that the file `path` imports (`root`: the package folder).

    `from . import name` names a module when one exists, else the package's `__init__.py`.
    """
    return _imported(Path(path).resolve(), PACKAGE if root is None else Path(root).resolve())


@functools.cache
def _imported(path: Path, here: Path) -> tuple[Path, ...]:
    package = path.parent.relative_to(here).parts  # the package `path` is in, as folder names
    found = []
    for node in ast.walk(ast.parse(path.read_bytes())):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # from . import x, from ..y import z
                base = package[: len(package) - (node.level - 1)]
                target = [*base, *(node.module.split(".") if node.module else [])]
            elif node.module and node.module.split(".")[0] == "notmnist":
                target = node.module.split(".")[1:]
            else:
                continue
            # "from . import cache" imports the module cache; "from .dataset import x" the module dataset
            submodules = [[*target, alias.name] for alias in node.names]
            candidates = [n for n in submodules if _source(here, n)] or [target]
        elif isinstance(node, ast.Import):
            candidates = [a.name.split(".")[1:] for a in node.names if a.name.split(".")[0] == "notmnist"]
        else:
            continue
        found += [src for parts in candidates if (src := _source(here, parts))]
    return tuple(found)


def _source(here: Path, parts) -> Path | None:
    base = here.joinpath(*parts) if parts else here
    if base.with_suffix(".py").is_file() and parts:
        return base.with_suffix(".py")
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    return None
