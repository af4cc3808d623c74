"""tools/mutants.py's list stays in step with the code: every edit applies to
exactly one place of the current sources, and every area of the project has
mutants.  (Running them -- building, testing -- is the tool's job: CI runs a
random sample, the full run is documented in the README.)"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import mutants  # noqa: E402


def test_every_mutant_applies_exactly_once():
    assert mutants.check_list(mutants.MUTANTS) == []


def test_every_area_has_mutants():
    areas = {m.area for m in mutants.MUTANTS}
    assert {"kernels", "dispatch", "optimisers", "training", "recording", "files", "datasets", "cli",
            "api", "accuracy"} <= areas
    assert len(mutants.MUTANTS) >= 30


def test_each_mutant_names_existing_tests():
    for m in mutants.MUTANTS:
        first = m.tests.split()[0]
        assert (ROOT / "tests" / first).exists(), f"{m.id}: {first}"


def test_a_stale_edit_is_reported(tmp_path):
    (tmp_path / "a.c").write_text("x = 1; x = 1;\n")
    twice = mutants.Mutant("twice", "kernels", "a.c", "x = 1;", "x = 2;", "test_dense.py", "")
    missing = mutants.Mutant("missing", "kernels", "a.c", "y = 1;", "y = 2;", "test_dense.py", "")
    assert mutants.check_list([twice, missing], root=tmp_path) == [
        "twice: the text to replace occurs 2 times in a.c, not once",
        "missing: the text to replace occurs 0 times in a.c, not once"]
