"""The package is typed: its stub of the generated functions is current,
and mypy --strict accepts typed user code and rejects misuse."""
import importlib.util
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pyneuron

HERE = Path(__file__).resolve().parent
TOOLS = HERE.parent / "tools"


def test_the_stub_is_current():
    spec = importlib.util.spec_from_file_location("gen_stubs", TOOLS / "gen_stubs.py")
    gen_stubs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen_stubs)
    shipped = resources.files("pyneuron").joinpath("functional.pyi").read_text()
    assert shipped == gen_stubs.stub_text(), "pyneuron/functional.pyi is stale: run python tools/gen_stubs.py"
    assert resources.files("pyneuron").joinpath("py.typed").is_file()


def mypy(path: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    package_root = Path(pyneuron.__file__).resolve().parent.parent
    if "site-packages" not in package_root.parts:  # an editable install: mypy cannot follow its import hook
        env["MYPYPATH"] = str(package_root)
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(tmp_path),
                           str(path)], capture_output=True, text=True, cwd=tmp_path, env=env)


def test_mypy_accepts_typed_use(tmp_path):
    result = mypy(HERE / "typing" / "uses_the_api.py", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_rejects_misuse(tmp_path):
    path = HERE / "typing" / "misuses_the_api.py"
    result = mypy(path, tmp_path)
    flagged = {int(line.split(":")[1]) for line in result.stdout.splitlines() if ": error:" in line}
    expected = {i for i, line in enumerate(path.read_text().splitlines(), 1) if "# error:" in line}
    assert flagged == expected, result.stdout
