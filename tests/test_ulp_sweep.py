"""tools/ulp_sweep.py: every activation's float32 kernel over 1 in 101
finite float32 values (42 million inputs) at every SIMD level within its
bound; the sweep's input numbering, classification and report; the float64
references it trusts, against mpmath over the whole float32 range;
pyneuron/accuracy.json, the exhaustive run's record; and float32 tanh's
pieces table, the output of tools/fit_tanh.py."""
import json
import re
import subprocess
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest

import pyneuron
import pyneuron.functional as F
from refs import FLOAT64, MPMATH, in_dtype, rounded_reference, ulp_distance

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import fit_tanh  # noqa: E402
import ulp_sweep  # noqa: E402
from ulp_sweep import Case, Example, Worst  # noqa: E402

FINITE_FLOAT32 = 2**32 - 2 * 2**23  # all but the exponent-255 patterns
FLT_MAX = float(np.finfo(np.float32).max)
NAN_VS_NUMBER = int(np.iinfo(np.uint64).max)  # ulp_distance's figure for it


@pytest.fixture(scope="module")
def strided():
    return ulp_sweep.sweep(stride=101, jobs=1)


def test_strided_sweep_within_bounds(strided):
    assert strided.inputs == -(-FINITE_FLOAT32 // 101)
    assert set(strided.tallies) == {(case.label, level) for case in ulp_sweep.cases()
                                    for level in pyneuron.simd_levels()}
    assert ulp_sweep.failures(strided) == []


def test_cases_are_every_row_and_every_variant():
    labels = [case.label for case in ulp_sweep.cases()]
    assert labels == ["identity", "sigmoid", "tanh", "relu", "leaky_relu (alpha=0.01)", "elu (alpha=1.0)",
                      "gelu (approximate='none')", "gelu (approximate='tanh')", "silu", "softplus"]
    assert {case.name: case.bound for case in ulp_sweep.cases()}["relu"] == 0


def test_inputs_are_every_finite_float32_in_bit_order():
    assert ulp_sweep.input_count(1) == FINITE_FLOAT32
    numbers = [0, 1, 0x7F7FFFFF, 0x7F800000, FINITE_FLOAT32 - 1]
    bits = np.concatenate([ulp_sweep.input_bits(n, 1, 1) for n in numbers])
    assert bits.tolist() == [0, 1, 0x7F7FFFFF, 0x80000000, 0xFF7FFFFF]  # +0, 1e-45, FLT_MAX, -0, -FLT_MAX
    assert ulp_sweep.input_bits(2, 3, 101).tolist() == [202, 303, 404]
    # at stride 101: across the gap of +inf and the NaNs, and the last input
    across = ulp_sweep.input_bits(0x7F800000 // 101, 2, 101)
    assert across[0] <= 0x7F7FFFFF and 0x80000000 <= across[1] < 0x80000000 + 101
    last = ulp_sweep.input_bits(ulp_sweep.input_count(101) - 1, 1, 101)[0]
    assert 0xFF7FFFFF - 101 < last <= 0xFF7FFFFF


def float32_bits(values) -> np.ndarray:
    return np.array(values, np.float32).view(np.uint32)


def test_compare_classifies_by_the_reference_and_keeps_the_worst():
    one_plus_3ulp = float32_bits([1.0])[0] + 3
    tiny = float32_bits([2.0**-130])[0]  # subnormal
    expected = np.array([1.0, 1.0, 2.0**-130, 0.0, np.inf, np.nan, FLT_MAX, 3.0, 5.0], np.float32)
    got_bits = float32_bits([1.0, 0, 0, -0.0, FLT_MAX, 0, np.inf, 0, np.nan])
    got_bits[[1, 2, 5, 7]] = [one_plus_3ulp, tiny + 2, 0x7FC00001, float32_bits([3.0])[0] + 1]
    inputs = np.arange(100, 109, dtype=np.uint32)

    tally = ulp_sweep.compare(inputs, got_bits.view(np.float32), expected)

    # inputs 100, 103 and 105 are right: equal, +0 for -0, another NaN payload
    normal, subnormal, special = tally["normal"], tally["subnormal"], tally["special"]
    assert normal.count == 4 and [(e.bits, e.ulp) for e in normal.examples] == [
        (108, NAN_VS_NUMBER), (101, 3), (106, 1), (107, 1)]
    assert normal.examples[1].got == float(np.uint32(one_plus_3ulp).view(np.float32))
    assert normal.examples[1].expected == 1.0
    assert subnormal.count == 1 and (subnormal.max_ulp, subnormal.examples[0].bits) == (2, 102)
    # an inf for FLT_MAX either way, and a NaN for a number
    assert special.count == 3 and [e.bits for e in special.examples] == [108, 104, 106]


def test_merged_worst_keeps_the_largest_errors_earliest_first():
    def example(ulp, bits):
        return Example(ulp, bits, 0.0, 0.0)

    earlier = Worst(2, [example(3, 10), example(1, 11)])
    later = Worst(5, [example(3, 20), example(2, 21)] + [example(1, 30 + i) for i in range(3)])
    merged = earlier.merged(later)
    assert merged.count == 7 and merged.max_ulp == 3
    assert [e.bits for e in merged.examples] == [10, 20, 21, 11, 30][:ulp_sweep.KEEP]


def sweep_of(case, levels, got, expected):
    inputs = np.arange(len(got), dtype=np.uint32)
    tally = ulp_sweep.compare(inputs, np.array(got, np.float32), np.array(expected, np.float32))
    return ulp_sweep.Sweep(1, len(got), levels, [case], {(case.label, level): tally for level in levels}, 0.0)


def test_failures_name_case_level_and_worst_input():
    case = Case("sigmoid", 2, {})
    within = sweep_of(case, ["avx2"], [0.5, 0.5 + 2.0**-24, 2.0**-140 + 2.0**-149], [0.5, 0.5, 2.0**-140])
    assert ulp_sweep.failures(within) == []
    subnormal = sweep_of(case, ["avx2"], [2.0**-140 + 2.0**-148], [2.0**-140])
    assert ulp_sweep.failures(subnormal) == [
        "sigmoid at avx2: 2 ulp on subnormal outputs, bound 1; worst: x=0x00000000 (0.0): "
        "got 7.2e-43 (0x00000202), expected 7.17e-43 (0x00000200), 2 ulp"]
    exact = sweep_of(Case("relu", 0, {}), ["avx2"], [2.0**-149], [0.0])
    assert ulp_sweep.failures(exact)[0].startswith("relu at avx2: 1 ulp on subnormal outputs, bound 0")
    beyond = sweep_of(case, ["avx2"], [0.5, 0.5 + 3 * 2.0**-24, np.nan], [0.5, 0.5, 0.75])
    problems = ulp_sweep.failures(beyond)
    assert len(problems) == 2
    assert problems[0].startswith("sigmoid at avx2: 18446744073709551615 ulp on normal outputs, bound 2; worst: ")
    assert "x=0x00000002 (3e-45): got nan" in problems[0]
    assert "x=0x00000001 (1e-45): got 0.5000002 (0x3f000003), expected 0.5 (0x3f000000), 3 ulp" in problems[0]
    assert problems[1].startswith("sigmoid at avx2: 1 special mismatches; worst: x=0x00000002")


def test_check_exits_1_naming_a_broken_kernel(monkeypatch, capsys):
    def one_ulp_up(x, out):
        return np.nextafter(x, np.float32(np.inf), out=out)

    monkeypatch.setattr(ulp_sweep, "cases", lambda: [Case("identity", 0, {})])
    monkeypatch.setattr(F, "identity", one_ulp_up)
    assert ulp_sweep.main(["--stride", "1000000", "--jobs", "1"]) == 0  # reports, but only --check fails
    assert ulp_sweep.main(["--stride", "1000000", "--jobs", "1", "--check"]) == 1
    stderr = capsys.readouterr().err
    level = pyneuron.simd_levels()[0]
    # the sample's first normal input: pattern 9,000,000 (the patterns below 0x00800000 are subnormal)
    assert f"identity at {level}: 1 ulp on normal outputs, bound 0; worst: x=0x00895440" in stderr


def test_docs_only_from_the_exhaustive_sweep_unless_asked():
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "ulp_sweep.py"), "--stride", "101", "--write-docs"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "use --stride 1" in r.stderr and "--allow-sample-docs" in r.stderr


def test_written_docs_follow_the_schema(tmp_path, monkeypatch):
    monkeypatch.setattr(ulp_sweep, "DOCS", tmp_path / "accuracy.md")
    monkeypatch.setattr(ulp_sweep, "JSON", tmp_path / "accuracy.json")
    result = ulp_sweep.sweep(stride=10**7, jobs=1)
    ulp_sweep.write_docs(result, "python tools/ulp_sweep.py --stride 10000000", "2026-01-02", "A CPU")
    record = json.loads((tmp_path / "accuracy.json").read_text())
    levels = pyneuron.simd_levels()
    assert {k: record[k] for k in ("stride", "inputs", "date", "cpu", "levels")} == {
        "stride": 10**7, "inputs": 428, "date": "2026-01-02", "cpu": "A CPU", "levels": levels}
    assert [(row["name"], row["params"], row["bound"]) for row in record["rows"]] == [
        (case.name, case.params, case.bound) for case in ulp_sweep.cases()]
    for row in record["rows"]:
        assert set(row) == {"name", "params", "bound", "max_ulp", "max_ulp_subnormal", "special_mismatches"}
        for key in ("max_ulp", "max_ulp_subnormal", "special_mismatches"):
            assert list(row[key]) == levels and all(isinstance(v, int) for v in row[key].values())
    docs = (tmp_path / "accuracy.md").read_text()
    assert docs.startswith("# float32 accuracy: a sample, 1 in 10,000,000 finite float32 values\n")
    assert "- command: `python tools/ulp_sweep.py --stride 10000000`" in docs and "- CPU: A CPU" in docs
    assert "| gelu (approximate='tanh') | 4 |" in docs


def test_shipped_record_claims_no_better_than_this_machine_measures(strided):
    """The exhaustive record's maxima bound every sample of the same inputs:
    a kernel changed since the record was made, and made worse, fails here
    (the README table, `pyneuron info` and the docstrings read the record)."""
    record = json.loads((ROOT / "pyneuron" / "accuracy.json").read_text())
    assert set(strided.levels) <= set(record["levels"]), "the record lacks a level this CPU runs"
    for case, row in zip(ulp_sweep.cases(), record["rows"]):
        for level in strided.levels:
            for key, kind in (("max_ulp", "normal"), ("max_ulp_subnormal", "subnormal")):
                measured = strided.worst(case, level, kind).max_ulp
                assert measured <= row[key][level], (
                    f"{case.label} at {level}: {measured} ulp measured on {kind} outputs of a sample, "
                    f"but the record claims {row[key][level]}: rerun tools/ulp_sweep.py --write-docs")


def test_readme_table_is_the_record():
    """The README's float32 column states the shipped record's figures."""
    record = json.loads((ROOT / "pyneuron" / "accuracy.json").read_text())
    readme = (ROOT / "README.md").read_text()
    labels = {"sigmoid": "sigmoid", "SiLU": "silu", "tanh": "tanh", "ELU": "elu (alpha=1.0)",
              "softplus": "softplus", "GELU (exact)": "gelu (approximate='none')",
              "GELU (tanh)": "gelu (approximate='tanh')"}
    rows = {ulp_sweep.Case(r["name"], r["bound"], r["params"]).label: r for r in record["rows"]}
    for op, label in labels.items():
        stated = re.search(rf"^\| {re.escape(op)} \| ([\d /]+) \|", readme, re.M)
        assert stated, f"README's accuracy table lacks {op}"
        figures = " / ".join(str(rows[label]["max_ulp"][level]) for level in record["levels"])
        assert stated.group(1).strip() == figures, f"README states {op} {stated.group(1)!r}; the record: {figures}"


def test_shipped_record_is_exhaustive_and_current():
    record = json.loads((ROOT / "pyneuron" / "accuracy.json").read_text())
    assert record["stride"] == 1 and record["inputs"] == FINITE_FLOAT32
    assert [(row["name"], row["params"], row["bound"]) for row in record["rows"]] == [
        (case.name, case.params, case.bound) for case in ulp_sweep.cases()], "rerun tools/ulp_sweep.py --write-docs"
    for row in record["rows"]:
        assert all(v <= row["bound"] for v in row["max_ulp"].values()), row
        assert all(v <= min(row["bound"], ulp_sweep.SUBNORMAL_BOUND) for v in row["max_ulp_subnormal"].values()), row
        assert not any(row["special_mismatches"].values()), row


# ------------------------------------------------- the references themselves

def extreme_inputs() -> np.ndarray:
    """Three mantissas in every binade of float32 and both signs, the odd
    subnormals where x/2 is a float32 midpoint, and a run over [-110, 30]
    where the activations' tails turn subnormal."""
    binades = (np.array([1.0, 1.37, 1.999])[:, None] * np.ldexp(1.0, np.arange(-149, 128))).ravel()
    odd = np.array([1, 3, 5, 0x7FFFFF, 0x800001], np.uint32).view(np.float32)
    x = np.concatenate([binades, odd, -binades, -odd, np.linspace(-110, 30, 1401), [FLT_MAX, -FLT_MAX]])
    return np.unique(x.astype(np.float32))


X = extreme_inputs()
# Enough bits for f(x) = x/2 + c x^2 at the smallest subnormal x, where the
# x^2 term is 2^-150 times x/2 and decides the rounding.
EXACT_BITS = 256


def nearest_float32(exact) -> np.float32:
    """``exact`` (an mpf) rounded once, to the nearest float32 (ties to even)."""
    near = np.float32(float(exact))
    with np.errstate(over="ignore"):  # FLT_MAX's neighbour is inf, which is never nearest
        candidates = (np.nextafter(near, np.float32(-np.inf)), near, np.nextafter(near, np.float32(np.inf)))
    return min(candidates, key=lambda c: (abs(mpmath.mpf(float(c)) - exact), int(c.view(np.uint32)) & 1))


@pytest.mark.parametrize("case", ulp_sweep.cases(), ids=lambda case: case.label)
def test_references_are_far_more_precise_than_float32_and_round_right(case):
    params = in_dtype(case.params, np.float32)
    with np.errstate(all="ignore"):
        float64_values = FLOAT64[case.name](X.astype(np.float64), **params)
    rounded = rounded_reference(case.name, X, **case.params)
    with mpmath.mp.workprec(EXACT_BITS):
        exact = [MPMATH[case.name](mpmath.mpf(float(v)), **params) for v in X]
        correctly_rounded = np.array([nearest_float32(e) for e in exact], np.float32)
        error = np.array([float(abs(mpmath.mpf(float(f)) - e)) for f, e in zip(float64_values, exact)])
    with np.errstate(over="ignore"):  # the spacing at FLT_MAX is inf: no error there counts
        error_in_ulp = error / np.spacing(np.abs(correctly_rounded)).astype(np.float64)
    worst = int(np.argmax(error_in_ulp))
    assert error_in_ulp[worst] < 2.0**-16, f"{case.label}: float64 error {error_in_ulp[worst]:.3g} ulp at x={X[worst]!r}"
    off = np.flatnonzero(ulp_distance(rounded, correctly_rounded))
    assert off.size == 0, [(X[i], rounded[i], correctly_rounded[i]) for i in off[:5]]


def test_float32_tanh_pieces_are_the_fitters_output():
    """The pieces table of float32 tanh (csrc/kernels/activations.inc) is
    what tools/fit_tanh.py prints, so the fit its docstring states, and its
    --check figure, hold for the table the avx512 kernel reads."""
    source = (ROOT / "csrc" / "kernels" / "activations.inc").read_text()
    pasted = source.split("/* ---- generated by tools/fit_tanh.py ---- */\n")[1].split("/* ---- end generated")[0]
    assert pasted == fit_tanh.emit(*fit_tanh.table()) + "\n"
