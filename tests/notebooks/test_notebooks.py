"""The notebooks run top to bottom in a real Jupyter kernel, on a small market.

Every notebook in ``notebooks/`` is stored without outputs and starts with a
code cell tagged ``parameters``. The test appends the small market of
``tests/conftest.py``, two replications and one worker to that cell, and for
some notebooks smaller designs of their own (``SMALL_PARAMETERS``): the
values replace the notebook's defaults; any other parameter keeps its
default. It executes the notebook with nbclient: an error in any cell fails
the test with the cell and its traceback (``CellExecutionError``).

The last test runs a study on a process pool from inside a kernel and checks
that it gives exactly the frame of an in-process run: the pool starts its
workers with ``spawn``, which is what makes it safe from a notebook kernel.
"""

from __future__ import annotations

import ast
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient
from nbformat import NotebookNode

from simulator.config.loading import load_scenario
from simulator.experiments.study import run_study

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
EXPECTED = (
    "01_quickstart.ipynb",
    "02_paid_vs_free.ipynb",
    "03_design_a_policy.ipynb",
    "04_policy_design.ipynb",
    "05_calibration.ipynb",
)
PARAMETERS = ("REPLICATIONS", "SEED", "OVERRIDES")
"""Names the parameters cell of every notebook must define."""
TEST_REPLICATIONS = 2
SMALL_PARAMETERS: dict[str, str] = {
    # a 3 x 2 grid that keeps the baseline's price ($0.15), and a short Morris screening
    "04_policy_design": "PRICES = [0.05, 0.15, 0.60]\nALLOWANCES = [0, 20]\nTRAJECTORIES = 4\n",
    # a short calibration: few particles and generations, few draws
    "05_calibration": (
        "POPULATION = 12\nGENERATIONS = 2\nPREDICTIVE_DRAWS = 3\nPOSTERIOR_DRAWS = 3\n"
    ),
}
"""Further parameters a notebook's test run sets (by the notebook's stem), beyond the
small market, replications and worker every notebook gets: design sizes of its own.
Each name must be one the notebook's parameters cell defines."""
KERNEL_NAME = "python3"
TIMEOUT = 600

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def kernel_name(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python3``, resolved to a kernel that runs this interpreter (the venv's Python).

    The venv's own ``python3`` kernelspec (installed by ipykernel) runs
    ``python``, which jupyter_client replaces with ``sys.executable``; but a
    spec found earlier on ``JUPYTER_PATH`` could name another interpreter
    without connectsim. A spec for ``sys.executable`` put first on
    ``JUPYTER_PATH`` makes the choice certain; each notebook also checks it.
    """
    data_dir = tmp_path_factory.mktemp("jupyter")
    spec_dir = data_dir / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python 3 ({sys.prefix})",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        paths = [str(data_dir), os.environ.get("JUPYTER_PATH", "")]
        patch.setenv("JUPYTER_PATH", os.pathsep.join(p for p in paths if p))
        yield KERNEL_NAME


def parameters_cell(nb: NotebookNode) -> NotebookNode:
    """The notebook's first code cell, which must be tagged ``parameters``."""
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    tagged = [cell for cell in code if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{len(tagged)} cells tagged 'parameters' (need exactly one)"
    assert code[0] is tagged[0], "the cell tagged 'parameters' is not the first code cell"
    return tagged[0]


def assigned_names(source: str) -> set[str]:
    """Names a cell's top-level statements assign."""
    names = set()
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def execute(nb: NotebookNode, kernel_name: str, path: Path) -> None:
    """Run every cell in a fresh kernel started in ``path``; raise on the first error."""
    client = NotebookClient(
        nb,
        timeout=TIMEOUT,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(path)}},
    )
    client.execute()


def text_outputs(cell: NotebookNode, stream: str = "stdout") -> str:
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == stream)


def check_interpreter(cell: NotebookNode) -> None:
    """The kernel ran this test's Python environment."""
    assert text_outputs(cell).strip() == sys.prefix, (
        f"the kernel ran {text_outputs(cell).strip()!r}, not this environment ({sys.prefix})"
    )


INTERPRETER_CELL = "import sys\nprint(sys.prefix)"


def test_every_notebook_is_found() -> None:
    assert {p.name for p in NOTEBOOKS} >= set(EXPECTED)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {i} of {path.name} is stored with outputs"
            assert cell.execution_count is None, f"cell {i} of {path.name} has an execution count"
    missing = set(PARAMETERS) - assigned_names(parameters_cell(nb).source)
    assert not missing, f"the parameters cell of {path.name} does not define {sorted(missing)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_top_to_bottom(path: Path, kernel_name: str, small_overrides: list[str]) -> None:
    nb = nbformat.read(path, as_version=4)
    cell = parameters_cell(nb)
    extra = SMALL_PARAMETERS.get(path.stem, "")
    unknown = assigned_names(extra) - assigned_names(cell.source)
    assert not unknown, f"the parameters cell of {path.name} does not define {sorted(unknown)}"
    cell.source += (
        "\n\n# injected by tests/notebooks/test_notebooks.py: a small market, few replications,\n"
        "# in the kernel's process (the last test covers the process pool)\n"
        f"REPLICATIONS = {TEST_REPLICATIONS}\n"
        f"OVERRIDES = {small_overrides!r}\n"
        "WORKERS = 1\n" + extra
    )
    nb.cells.append(nbformat.v4.new_code_cell(INTERPRETER_CELL))

    execute(nb, kernel_name, NOTEBOOKS_DIR)

    check_interpreter(nb.cells[-1])
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert not text_outputs(cell, "stderr"), (
            f"cell {i} wrote to stderr:\n{text_outputs(cell, 'stderr')}"
        )
        for output in cell.outputs:
            data = output.get("data", {})
            # a figure shown as "<Figure size ...>" text only: inline plotting is off
            if str(data.get("text/plain", "")).startswith("<Figure"):
                assert "image/png" in data, f"cell {i} shows a figure as text, not as an image"


def test_process_pool_works_from_a_notebook_kernel(
    tmp_path: Path, kernel_name: str, paid_vs_free_path: Path, small_overrides: list[str]
) -> None:
    out = tmp_path / "frame.parquet"
    study_cell = f"""
import multiprocessing

import simulator
from simulator.config.loading import load_scenario

scenario = load_scenario({str(paid_vs_free_path)!r}, {small_overrides!r})
worker_kinds = set()


def progress(arm, replication):
    # called in the kernel while the pool is running: its workers are the kernel's children
    worker_kinds.update(type(p).__name__ for p in multiprocessing.active_children())


study = simulator.run_study(scenario, replications=2, workers=2, seed=3, progress=progress)
study.frame().to_parquet({str(out)!r})
print(",".join(sorted(worker_kinds)))
"""
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(INTERPRETER_CELL), nbformat.v4.new_code_cell(study_cell)]
    )

    execute(nb, kernel_name, tmp_path)

    check_interpreter(nb.cells[0])
    assert text_outputs(nb.cells[1]).strip() == "SpawnProcess", (
        "the study did not run on spawned workers"
    )
    in_process = run_study(
        load_scenario(paid_vs_free_path, small_overrides), replications=2, workers=1, seed=3
    )
    pd.testing.assert_frame_equal(pd.read_parquet(out), in_process.frame(), check_exact=True)
