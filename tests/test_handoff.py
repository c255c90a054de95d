"""The hand-off to assignment 2: the file the course opens, found and opened as the course does."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import textwrap

import pytest
from test_export import folder, source  # noqa: F401  (fixtures: small archives, an empty folder)

from notmnist import export
from notmnist.__main__ import main

# Assignment 2's notebook (2_fullyconnected.ipynb), its first two cells as the course wrote them;
# only the imports differ: TensorFlow is not needed to load, and six.moves.cPickle is Python 3's
# pickle.  The habits the six keys must keep working are checked after them.
COURSE_CELLS = """
from __future__ import print_function
import numpy as np
import pickle

pickle_file = 'notMNIST.pickle'

with open(pickle_file, 'rb') as f:
  save = pickle.load(f)
  assert len(save) == 6, sorted(save)
  shapes = {k: save[k].shape for k in save}
  a, b, c, d, e, g = save.values()
  train_dataset = save['train_dataset']
  train_labels = save['train_labels']
  valid_dataset = save['valid_dataset']
  valid_labels = save['valid_labels']
  test_dataset = save['test_dataset']
  test_labels = save['test_labels']
  del save  # hint to help gc free up memory
  print('Training set', train_dataset.shape, train_labels.shape)
  print('Validation set', valid_dataset.shape, valid_labels.shape)
  print('Test set', test_dataset.shape, test_labels.shape)

image_size = 28
num_labels = 10

def reformat(dataset, labels):
  dataset = dataset.reshape((-1, image_size * image_size)).astype(np.float32)
  # Map 0 to [1.0, 0.0, 0.0 ...], 1 to [0.0, 1.0, 0.0 ...]
  labels = (np.arange(num_labels) == labels[:,None]).astype(np.float32)
  return dataset, labels
train_dataset, train_labels = reformat(train_dataset, train_labels)
valid_dataset, valid_labels = reformat(valid_dataset, valid_labels)
test_dataset, test_labels = reformat(test_dataset, test_labels)
print('Training set', train_dataset.shape, train_labels.shape)
print('Validation set', valid_dataset.shape, valid_labels.shape)
print('Test set', test_dataset.shape, test_labels.shape)
"""


def test_the_course_notebook_opens_the_export_without_the_package(source, folder):  # noqa: F811
    """THE ONE PLACE A TEST UNPICKLES.  The project never unpickles; this test plays the course's
    notebook, in a separate Python that cannot import the package, on a file the test itself
    has just written.  It proves the learner's notebook runs unchanged on our export."""
    assert main(["export", "--format", "pickle", "--out", str(folder)]) == 0
    assert (folder / "notMNIST.pickle").exists()
    notebook = (
        # No site-packages processing (-S), so the editable install of notmnist is not on the path;
        # NumPy's folder is added by hand.  The working folder is the export's, not the clone.
        "import sys\n"
        f"sys.path.append({sysconfig.get_paths()['purelib']!r})\n"
        f"sys.path.append({sysconfig.get_paths()['platlib']!r})\n"
        "try:\n"
        "    import notmnist\n"
        "except ModuleNotFoundError:\n"
        "    pass\n"
        "else:\n"
        "    raise SystemExit('the package is importable: the test would not show the file stands alone')\n"
        "exec(compile(sys.argv[1], '2_fullyconnected.ipynb', 'exec'), {'__name__': '__main__'})\n"
    )
    proc = subprocess.run(
        [sys.executable, "-S", "-I", "-c", notebook, COURSE_CELLS],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.splitlines() == [
        "Training set (200, 28, 28) (200,)",
        "Validation set (10, 28, 28) (10,)",
        "Test set (10, 28, 28) (10,)",
        "Training set (200, 784) (200, 10)",
        "Validation set (10, 784) (10, 10)",
        "Test set (10, 784) (10, 10)",
    ]


def test_a_name_that_says_the_other_format_is_refused_with_why(source, folder, capsys):  # noqa: F811
    assert main(["export", "--out", str(folder / "notMNIST.pickle"), "--format", "npz"]) == 1
    err = capsys.readouterr().err
    assert "notMNIST.pickle names a pickle file, but --format npz writes an npz archive" in err
    assert "pickle.load cannot read" in err and "UnpicklingError" in err
    assert main(["export", "--out", str(folder / "notMNIST.npz"), "--format", "pickle"]) == 1
    err = capsys.readouterr().err
    assert "notMNIST.npz names a npz file, but --format pickle writes a pickle" in err
    assert "allow_pickle=True" in err
    assert list(folder.iterdir()) == []


def test_the_command_leads_to_the_file_the_course_opens(source, folder, capsys):  # noqa: F811
    """npz: says to add --format pickle; sanitised pickle: says how to get the course's name."""
    assert main(["export", "--out", str(folder)]) == 0
    assert "open notMNIST.pickle: add --format pickle" in capsys.readouterr().out
    assert main(["export", "--out", str(folder), "--format", "pickle", "--sanitised"]) == 0
    out = capsys.readouterr().out
    assert "set pickle_file = 'notMNIST_sanitised.pickle'" in out and "--out notMNIST.pickle" in out
    assert main(["export", "--out", str(folder / "notMNIST.pickle"), "--sanitised"]) == 0
    out = capsys.readouterr().out
    assert "pickle_file" not in out and "sanitised: dropped" in out
    record = json.loads(export.sidecar(folder / "notMNIST.pickle").read_text())
    assert record["sanitised"] is not None and f"provenance: {folder / 'notMNIST.pickle'}" in out


def test_help_lists_export_and_says_the_standin_is_a_tenth(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    top = capsys.readouterr().out
    assert "export" in top and "notMNIST.pickle" in top and "``" not in top
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "a tenth of the course's size" in text
    assert "20,000 / 1,000 / 1,000 against 200,000 / 10,000 / 10,000" in text
    assert "--format pickle, which writes notMNIST.pickle" in text and "``" not in text


def test_course_cells_are_the_courses():
    """The played cells keep the course's own loading lines (a guard against editing them away)."""
    cells = textwrap.dedent(COURSE_CELLS)
    assert "with open(pickle_file, 'rb') as f:\n  save = pickle.load(f)" in cells
    assert "pickle_file = 'notMNIST.pickle'" in cells
