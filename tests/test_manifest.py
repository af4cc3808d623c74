"""The manifest csrc/ops.def -- SIMD levels and activations -- and
everything that follows from it: the pn_simd and pn_act codes of the public
header, each level's sources, the build's choice of levels for its
architecture, and what the C layer reports through pn_simd_describe and
pn_act_describe (from which Python's LEVELS, the tests' tile sweeps, the
registry's ulp bounds and parameter defaults, and Network's activation
names, slopes and initialisation come).  Any of them out of step with the
manifest fails here."""
import platform
import re
from pathlib import Path

import pytest

import pyneuron
from pyneuron._core import ACTIVATION_INFO, LEVELS, ffi, lib
from pyneuron._registry import ACTIVATIONS
from pyneuron.network import _DEFAULT_ALPHA, _RELU_LIKE, ACTIVATION_NAMES, Network

CSRC = Path(__file__).resolve().parent.parent / "csrc"
ROW = re.compile(r'^ +X\((PN_SIMD_\w+), (\w+), (\w+), "([^"]*)", ([^)\\]*)\)', re.M)
ROWS = ROW.findall((CSRC / "ops.def").read_text())
ACT_ROW = re.compile(r'^ +X\((PN_ACT_\w+), (\w+), (PN_FAMILY_\w+), "(\w*)", ([\d.]+), (\d+)\)', re.M)
ACT_ROWS = ACT_ROW.findall((CSRC / "ops.def").read_text())
ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}.get(
    platform.machine().lower(), "none")


def test_every_row_is_read():
    """CMakeLists.txt and fuzz/common.sh read the rows with this pattern: a
    row it misses would silently drop a level from the build."""
    rows = [line for line in (CSRC / "ops.def").read_text().splitlines() if "PN_SIMD_" in line and "X(" in line]
    assert len(rows) == len(ROWS) == lib.PN_SIMD_COUNT


def test_codes_follow_the_manifest():
    for index, (code, name, *_rest) in enumerate(ROWS):
        assert code == f"PN_SIMD_{name.upper()}"
        assert getattr(lib, code) == index
    assert LEVELS == tuple(name for _code, name, *_rest in ROWS)


@pytest.mark.parametrize("code, name, arch, flags, features", ROWS)
def test_each_level_is_described_as_the_manifest_says(code, name, arch, flags, features):
    info = pyneuron.simd_describe(name)
    assert (info["name"], info["arch"], info["flags"]) == (name, arch, flags)
    assert info["compiled"] == (arch in ("any", ARCH))
    sizes = [info[k] for k in ("f32_lanes", "f64_lanes", "gemm_mr", "gemm_nv", "lanes_units", "lanes_inputs")]
    assert all(sizes) if info["compiled"] else not any(sizes)


@pytest.mark.parametrize("code, name, arch, flags, features", ROWS)
def test_each_level_has_its_sources(code, name, arch, flags, features):
    """csrc/isa_N.c fills pn_kernels_N for its own code over simd/isa_N.h
    (the scalar layer for baseline), with the sizes that it reports."""
    source = (CSRC / f"isa_{name}.c").read_text()
    assert re.search(rf"^#define PN_LEVEL {code}$", source, re.M)
    assert re.search(rf"^#define PN_TABLE pn_kernels_{name}$", source, re.M)
    header = re.search(r'^#include "(simd/isa_\w+\.h)"', source, re.M).group(1)
    assert header == ("simd/isa_scalar.h" if name == "baseline" else f"simd/isa_{name}.h")
    info = pyneuron.simd_describe(name)
    if info["compiled"]:
        htext = (CSRC / header).read_text()
        for key, text, pattern in (("f32_lanes", htext, r"#define f32_LANES (\d+)"),
                                   ("f64_lanes", htext, r"#define f64_LANES (\d+)"),
                                   ("gemm_mr", source, r"#define GEMM_MR (\d+)"),
                                   ("gemm_nv", source, r"#define GEMM_NV (\d+)"),
                                   ("lanes_units", source, r"#define LANES_UNITS (\d+)"),
                                   ("lanes_inputs", source, r"#define LANES_INPUTS (\d+)")):
            assert info[key] == int(re.search(pattern, text).group(1)), (name, key)


def test_no_level_outside_the_manifest():
    names = {name for _code, name, *_rest in ROWS}
    assert {p.stem[len("isa_"):] for p in CSRC.glob("isa_*.c")} == names
    assert {p.stem[len("isa_"):] for p in (CSRC / "simd").glob("isa_*.h")} == names - {"baseline"} | {"scalar"}


def test_the_build_holds_its_architectures_levels():
    compiled = [name for _code, name, arch, *_rest in ROWS if arch in ("any", ARCH)]
    assert ffi.string(lib.pn_build_info()).decode().endswith("kernels compiled: " + " ".join(compiled))
    assert set(pyneuron.simd_levels()) <= set(compiled)


def test_describe_refuses_what_is_not_a_level():
    info = ffi.new("pn_simd_info *")
    assert lib.pn_simd_describe(-1, info) == lib.PN_ERR_SIMD
    assert lib.pn_simd_describe(lib.PN_SIMD_COUNT, info) == lib.PN_ERR_SIMD
    assert lib.pn_simd_describe(0, ffi.NULL) == lib.PN_ERR_NULL
    with pytest.raises(ValueError, match="unknown SIMD level 'sse9'; expected one of baseline, "):
        pyneuron.simd_describe("sse9")


# ------------------------------------------------------------ activations

def test_every_activation_row_is_read():
    rows = [line for line in (CSRC / "ops.def").read_text().splitlines() if "X(PN_ACT_" in line]
    assert len(rows) == len(ACT_ROWS) == lib.PN_ACT_COUNT == len(ACTIVATION_INFO)


@pytest.mark.parametrize("code, name, family, param, default, ulp", ACT_ROWS)
def test_each_activation_is_described_as_the_manifest_says(code, name, family, param, default, ulp):
    index = getattr(lib, code)
    assert index == [row[0] for row in ACT_ROWS].index(code) and code == f"PN_ACT_{name.upper()}"
    assert ACTIVATION_INFO[index] == {"name": name, "family": getattr(lib, family), "param": param,
                                      "param_default": float(default), "ulp_bound": int(ulp)}


def test_the_registry_and_the_network_follow_the_manifest():
    for spec in ACTIVATIONS:
        info = ACTIVATION_INFO[spec.code]
        assert spec.ulp_bound == info["ulp_bound"]
        real = [p for p in spec.params if p.variants is None]
        assert [(p.name, p.default) for p in real] == ([(info["param"], info["param_default"])]
                                                       if info["param"] else [])
        for p in spec.params:  # variants are activations of the manifest too, with the row's bound
            for variant in (p.variants or {}).values():
                assert ACTIVATION_INFO[variant]["ulp_bound"] == info["ulp_bound"]
    names = {info["name"] for info in ACTIVATION_INFO}
    assert set(ACTIVATION_NAMES) == names | {"linear"}
    assert _DEFAULT_ALPHA == {info["name"]: info["param_default"] for info in ACTIVATION_INFO if info["param"]}
    assert _RELU_LIKE == {"relu", "leaky_relu", "elu", "gelu", "gelu_tanh", "silu", "softplus"}


def test_a_networks_defaults_come_from_the_manifest():
    net = Network([1, 3, 3, 1], activation=["leaky_relu", "elu"], seed=0)
    assert net.alphas[:2] == [ACTIVATION_INFO[lib.PN_ACT_LEAKY_RELU]["param_default"],
                              ACTIVATION_INFO[lib.PN_ACT_ELU]["param_default"]]
    assert net.alphas[:2] == [0.01, 1.0]  # the documented defaults, PyTorch's


def test_describe_refuses_what_is_not_an_activation():
    info = ffi.new("pn_act_info *")
    assert lib.pn_act_describe(-1, info) == lib.PN_ERR_OP
    assert lib.pn_act_describe(lib.PN_ACT_COUNT, info) == lib.PN_ERR_OP
    assert lib.pn_act_describe(0, ffi.NULL) == lib.PN_ERR_NULL
