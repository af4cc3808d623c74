"""examples/quickstart.ipynb runs top to bottom in a real Jupyter kernel,
and its outputs are what it promises: the losses, a Trajectory's rich
display, a figure, and a video that plays inline."""
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "quickstart.ipynb"


def outputs(cell, kind):
    return [o for o in cell.outputs if kind in o.get("data", {})]


def test_the_quickstart_notebook_runs_and_shows_what_it_says(tmp_path, monkeypatch):
    monkeypatch.setenv("PYNEURON_CACHE", str(tmp_path / "cache"))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit the notebook without outputs"
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    printed = "".join(o.get("text", "") for o in code[0].outputs)
    assert "   sigmoid: loss" in printed and "leaky_relu: loss" in printed
    [display] = outputs(code[1], "text/html")
    assert display["data"]["text/html"].startswith("<p><code>1-2-2-1 sigmoid on y = exp(-5*x)")
    assert '<img src="data:image/png;base64,' in display["data"]["text/html"]
    assert outputs(code[2], "image/png") and (tmp_path / "leaky_relu.png").stat().st_size > 10_000
    [clip] = outputs(code[3], "text/html")
    assert clip["data"]["text/html"].startswith('<video controls')
    assert (tmp_path / "headline.mp4").stat().st_size > 50_000 and (tmp_path / "headline.srt").exists()
