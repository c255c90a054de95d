"""Tests of docs/hooks.py's page rewrites that need no build: warnings, source-only text, module order."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))
hooks = pytest.importorskip("hooks")

OUTPUT = """Out:
{: .mkd-glr-script-out }

```{.text .mkd-glr-script-out-disp }
UserWarning: the real archives are missing (set NOTMNIST_SOURCE=standin to silence this)
Data: offline stand-in
```
"""


def test_a_printed_warning_becomes_an_admonition_above_the_output():
    page = hooks.warnings_as_admonitions("Text.\n\n" + OUTPUT)
    box = page.index('!!! warning "Warning"')
    assert page.index("Out:") > box
    assert "\n    The real archives are missing (set `NOTMNIST_SOURCE=standin` to silence this)\n" in page
    assert "UserWarning" not in page
    assert re.search(r"disp \}\nData: offline stand-in\n```", page)


def test_an_output_of_warnings_only_is_dropped():
    page = hooks.warnings_as_admonitions(OUTPUT.replace("Data: offline stand-in\n", ""))
    assert "Out:" not in page and "```" not in page and "!!! warning" in page


def test_output_without_warnings_is_left_alone():
    plain = re.sub(r"UserWarning: .*\n", "", OUTPUT)
    assert hooks.warnings_as_admonitions(plain) == plain


def test_source_only_text():
    text = "Data<!-- standin --> from the stand-in<!-- /standin -->"
    text += "<!-- real --> from the archives<!-- /real -->."
    assert hooks.only_for(text, "standin") == "Data from the stand-in."
    assert hooks.only_for(text, "real") == "Data from the archives."


def test_reference_index_lists_modules_so_that_none_imports_a_later_one():
    """The order is computed from the package's imports, and it makes the index's sentence true."""
    from notmnist._imports import package_imports

    source = (ROOT / "docs" / "reference" / "index.md").read_text()
    shuffled = re.sub(r"(\| \[`notmnist\.config`\].*\n)(\| \[`notmnist\.errors`\].*\n)", r"\2\1", source)
    for markdown in (source, shuffled):
        page = hooks._modules_in_import_order(markdown, "reference/index.md")
        order = re.findall(r"^\| \[`notmnist\.(\w+)`\]", page, re.M)
        assert sorted(order) == sorted(re.findall(r"^\| \[`notmnist\.(\w+)`\]", source, re.M))
        package = ROOT / "notmnist"
        for k, name in enumerate(order):
            module = package / f"{name}.py"
            files = [module] if module.exists() else (package / name).rglob("*.py")
            paths = [p for f in files for p in package_imports(f)]
            imported = {p.relative_to(package).parts[0].removesuffix(".py") for p in paths}
            later = imported & set(order[k + 1 :])
            assert not later, f"notmnist.{name} imports {sorted(later)}, listed after it"
    assert order.index("errors") < order.index("config") < order.index("cache") < order.index("dataset")
