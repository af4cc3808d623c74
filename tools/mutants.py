"""Plant plausible bugs, one at a time, and check that the test suite catches each.

    .venv/bin/python tools/mutants.py --list               # the mutants, by area
    .venv/bin/python tools/mutants.py                      # every mutant (see README, Tests, for the time)
    .venv/bin/python tools/mutants.py --sample 5           # a random sample, as CI runs it (seed printed)
    .venv/bin/python tools/mutants.py --only adam-bias-correction-dropped

A mutant is a small source edit -- one exact piece of text, which must occur
exactly once in its file, replaced by another -- and the tests that should
catch it.  The checkout's files (tracked and new, as `git ls-files` lists
them) are copied to a scratch directory, the extension is built there once
with CMake and Ninja (the sources and flags of the wheel), and the selected
tests are run unmutated: they must pass.  Then, for each mutant, the edit is
applied, the extension rebuilt if C changed, the mutant's tests run, and the
edit undone.  A mutant is *caught* if its tests fail and *survives* if they
pass; an edit that no longer applies, or does not compile, is an error of
this list.  Exit status 0 only if every mutant run was caught.

Every new test proves it can fail by a mutant here: add one with the code.
"""
from __future__ import annotations

import argparse
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST_TIMEOUT = 900  # seconds per mutant's tests: a hang counts as caught, and is reported


@dataclass(frozen=True)
class Mutant:
    id: str
    area: str
    file: str
    old: str
    new: str
    #: pytest arguments, run in tests/
    tests: str
    why: str
    #: where the tests run: "native"; "avx512" -- native, for code only that
    #: level runs, so not run (and said so) on a CPU without it; or "arm64" --
    #: cross-built and run under qemu by tools/test_arm64.sh, for the kernels
    #: only AArch64 compiles
    platform: str = "native"

    @property
    def is_c(self) -> bool:
        return self.file.startswith("csrc/")


MUTANTS = [
    # ---- kernels: activations
    Mutant("expm1-f32-coefficient-off", "kernels", "csrc/kernels/math.inc",
           "0x1p+0, 0x1.fffffep-2,", "0x1p+0, 0x1.0004p-1,",
           "test_gradients.py -k 'float32_backward and sigmoid'",
           "float32 exp's r^2 coefficient 0.02% off: a few ulp in every float32 backward"),
    Mutant("exp-table-entries-unrefined", "kernels", "csrc/kernels/math.inc",
           "if (refine) p.q =", "if (0) p.q =",
           "test_accuracy.py -k 'float64 and (tanh or elu)'",
           "2^(j/16) taken as its rounded value: expm1 and tanh near 0.02 lose up to 10 ulp",
           platform="avx512"),
    Mutant("exp-table-index-off-by-one", "kernels", "csrc/simd/isa_avx512.h",
           "_mm512_permutex2var_epi64(lo, b, hi)", "_mm512_permutex2var_epi64(lo, _mm512_add_epi64(b, _mm512_set1_epi64(1)), hi)",
           "test_accuracy.py -k 'float64 and sigmoid'",
           "2^((j+1)/16) for 2^(j/16): every float64 exponential off by 4%", platform="avx512"),
    Mutant("exp-table-scale-keeps-index-bits", "kernels", "csrc/simd/isa_avx512.h",
           "_mm512_slli_epi64(_mm512_add_epi64(one, j), 48));", "_mm512_slli_epi64(one, 48));",
           "test_accuracy.py -k 'float64 and sigmoid'",
           "2^(j/16) scaled without taking j back off its bits: exponentials for j in 1..7 off by up to 40%",
           platform="avx512"),
    Mutant("tanh-pieces-one-quarter-off", "kernels", "csrc/simd/isa_avx512.h",
           "_mm512_set1_epi32(((127 + e) << 2) - 1)", "_mm512_set1_epi32((127 + e) << 2)",
           "test_accuracy.py -k 'float32 and tanh'",
           "float32 tanh evaluates each quarter binade with the previous piece's polynomial", platform="avx512"),
    Mutant("tanh-pieces-infinity-unclamped", "kernels", "csrc/kernels/activations.inc",
           "V a = v_min(v_set((T)16), v_abs(x));", "V a = v_abs(x);",
           "test_accuracy.py -k 'ieee_limits or (special_values and tanh)'",
           "float32 tanh(+-inf) runs inf into the constant piece's zero coefficients: NaN, not +-1",
           platform="avx512"),
    Mutant("tanh-pieces-table-edited-by-hand", "kernels", "csrc/kernels/activations.inc",
           "0x1.ff559ap-5f", "0x1.ff559bp-5f",
           "test_ulp_sweep.py -k pieces",
           "a coefficient of float32 tanh's table one ulp off the fitter's output: the fit stated is not the table read"),
    Mutant("leaky-relu-backward-slope-sign", "kernels", "csrc/kernels/activations.inc",
           "return v_select(v_gt(x, ZERO), g, v_mul(a, g));", "return v_select(v_gt(x, ZERO), g, v_mul(v_sub(ZERO, a), g));",
           "test_gradients.py -k leaky_relu", "the negative side's slope flipped"),
    Mutant("sigmoid-derivative-one-factor", "kernels", "csrc/kernels/activations.inc",
           "v_mul(s, v_select(pos, v_mul(e, s), v_sub(ONE, s)))", "v_select(pos, v_mul(e, s), v_mul(s, v_sub(ONE, s)))",
           "test_gradients.py -k sigmoid", "sigmoid'(x > 0) = s(-x) instead of s(-x) s(x)"),
    Mutant("tanh-loses-its-sign", "kernels", "csrc/kernels/activations.inc",
           "return v_copysign(v_div(em1, v_sub(v_set((T)-2), em1)), x);",
           "return v_abs(v_div(em1, v_sub(v_set((T)-2), em1)));", "test_accuracy.py -k tanh", "tanh(-x) = tanh(x)"),
    Mutant("silu-backward-unclamped", "kernels", "csrc/kernels/activations.inc",
           "V xc = v_min(v_set(-SILU_XMIN), x);", "V xc = x;", "test_gradients.py -k 'silu and float32'",
           "silu'(+inf) = inf, silu'(-FLT_MAX) far from 0"),
    Mutant("silu-backward-denormals-rounded-twice", "kernels", "csrc/kernels/activations.inc",
           "return v_mul(v_fma(coef, slope, v_div(FN(sig_num)(z, p), p.d)), FN(sig_scale)(z));",
           "return v_fma(c, v_mul(slope, v_set(EXP_SCALE_UNDO)), v_mul(v_div(FN(sig_num)(z, p), p.d), "
           "FN(sig_scale)(z)));",
           "test_gradients.py -k 'silu and float32'",
           "the slope unscaled (rounded into the denormals) before c multiplies it: 75 ulp at x = -100"),
    Mutant("lanes-product-pair-remainder-skipped", "kernels", "csrc/kernels/lanes.inc",
           "FN(lanes_matvec_units)(2, W, w_row, w_col, bias, in, in_ld, I, j, deriv, out, nv, block);", "",
           "test_training.py -k remainders", "two units left after the 4-unit tiles are never computed"),
    Mutant("lanes-gradient-pair-remainder-skipped", "kernels", "csrc/kernels/lanes.inc",
           "FN(lanes_outer_tile)(2, nu, 0, in, in_ld, dz, i, j, O, g, gb, first, nv, block);", "",
           "test_training.py -k remainders", "two inputs left after the 4-input tiles get no weight gradient"),
    Mutant("map-unary-drops-the-tail", "kernels", "csrc/kernels/activations.inc",
           "if (i < n) v_store_part(y + i, f(v_load_part(x + i, n - i), a), n - i);", "",
           "test_tails.py -k 'every_tail_length and sigmoid'", "the last partial vector is never written"),
    # ---- kernels: dense, softmax, losses
    Mutant("gemm-drops-the-last-k", "kernels", "csrc/kernels/dense.inc",
           "    for (int64_t k = 0; k < kc; k++) {\n        V b[GEMM_NV];",
           "    for (int64_t k = 0; k + 1 < kc; k++) {\n        V b[GEMM_NV];",
           "test_dense.py", "every product misses its last term"),
    Mutant("gemm-edge-copy-unpadded", "kernels", "csrc/kernels/dense.inc",
           "bp = edge, ldb = nv * LANES;", "bp = edge, ldb = nr;",
           "test_dense.py", "a narrow last panel's padded copy read at its unpadded width"),
    Mutant("dense-bias-gradient-misses-a-row", "kernels", "csrc/kernels/dense.inc",
           "for (int64_t r = 0; r < n; r++) acc = v_add(acc, v_load(dy + r * out + j));",
           "for (int64_t r = 0; r + 1 < n; r++) acc = v_add(acc, v_load(dy + r * out + j));",
           "test_dense.py", "db leaves out the last sample"),
    Mutant("dot-rows-drops-the-tail", "kernels", "csrc/kernels/dense.inc",
           "s0 = b ? v_fma(av, v_load_part(b + k, w), s0) : v_add(av, s0);", "(void)av;",
           "test_training.py -k wide_networks_match_reference",
           "the training loop's dW and db miss the samples past the last full vector"),
    Mutant("gemm-pack-transposed-b-drops-a-row", "kernels", "csrc/kernels/dense.inc",
           "for (int64_t k = 0; k < kc; k++) panel[k * pw + c] = c < w ? src[k * rsb] : (T)0;",
           "for (int64_t k = 0; k + 1 < kc; k++) panel[k * pw + c] = c < w ? src[k * rsb] : (T)0;",
           "test_dense.py", "dx = dy W^T packs W^T down its columns and leaves each block's last k out"),
    Mutant("gemm-pack-transposed-a-drops-a-row", "kernels", "csrc/kernels/dense.inc",
           "for (int64_t i = 0; i < GEMM_MR; i++) panel[k * GEMM_MR + i] = i < h ? src[i * rsa] : (T)0;",
           "for (int64_t i = 1; i < GEMM_MR; i++) panel[k * GEMM_MR + i] = i < h ? src[i * rsa] : (T)0;",
           "test_dense.py", "dW = x^T dy packs x^T down its columns and leaves each panel's first row out"),
    Mutant("softmax-without-max-shift", "kernels", "csrc/kernels/softmax.inc",
           "T m = FN(row_max)(x, cols);\n        if (log_out) {", "T m = 0;\n        if (log_out) {",
           "test_softmax.py", "exp(x) of large logits overflows"),
    Mutant("softmax-backward-sign", "kernels", "csrc/kernels/softmax.inc",
           "return v_mul(log_out ? v_sub(g, v_mul(y, c)) : v_mul(y, v_sub(g, c)), unscale);",
           "return v_mul(log_out ? v_sub(g, v_mul(y, c)) : v_mul(y, v_sub(c, g)), unscale);",
           "test_softmax.py", "softmax's gradient negated"),
    Mutant("softmax-backward-never-rescales", "kernels", "csrc/kernels/softmax.inc",
           "if ((underflows || !(isfinite((T)c) && big < safe)) && big > 0 && isfinite(big)) {", "if (0) {",
           "test_softmax.py -k near_the_dtype",
           "gradients near the dtype's maximum overflow their sums: inf or NaN where the result is finite"),
    Mutant("softmax-backward-keeps-underflowed-sums", "kernels", "csrc/kernels/softmax.inc",
           "const int underflows = !log_out && fabs(c) * s < (double)cols * smallest_normal;",
           "const int underflows = 0;",
           "test_softmax.py -k near_the_dtype_minimum",
           "sum(dy y) of gradients near the smallest normal adds up the underflowed products' roundings: "
           "results off by more than a subnormal unit"),
    Mutant("softmax-backward-stores-e-over-dy", "kernels", "csrc/kernels/softmax.inc",
           "const int e_in_dx = dxv != dyv;", "const int e_in_dx = 1;",
           "test_tails.py -k softmax_backward",
           "with out=grad, the exponentials overwrite the gradient the last pass reads"),
    Mutant("softmax-tail-sums-dead-lanes", "kernels", "csrc/kernels/softmax.inc",
           "V e = v_select(FN(lanes_below)(k), FN(exp_shifted)(v_load_part(x + i, k), neg_m), v_set((T)0));",
           "V e = FN(exp_shifted)(v_load_part(x + i, k), neg_m);",
           "test_softmax.py",
           "a row's last, partial vector adds e^(0 - max) for each lane past the row to the sum"),
    Mutant("softmax-row-max-sees-dead-lanes", "kernels", "csrc/kernels/softmax.inc",
           "acc = v_max(v_select(FN(lanes_below)(n - i), v_load_part(x + i, n - i), acc), acc);",
           "acc = v_max(v_load_part(x + i, n - i), acc);",
           "test_softmax.py",
           "the 0s past a row's end count as elements: a row of large negative logits shifts by 0 and underflows"),
    Mutant("fast-path-softmax-backward-grad-shape", "api", "pyneuron/functional.py",
           "(grad is not None and (grad.dtype is not x.dtype or grad.shape != x.shape))",
           "(grad is not None and grad.dtype is not x.dtype)",
           "test_inputs.py -k backward_shape_mismatch",
           "softmax_backward pairs x and grad of different shapes element by element"),
    Mutant("mse-gradient-halved", "kernels", "csrc/kernels/losses.inc",
           "PN_SI V FN(mse_grad)(V p, V t) { V d = v_sub(p, t); return v_add(d, d); }",
           "PN_SI V FN(mse_grad)(V p, V t) { V d = v_sub(p, t); return d; }",
           "test_losses.py", "d(p-t)^2/dp = p - t"),
    Mutant("bce-logits-gradient-sign", "kernels", "csrc/kernels/losses.inc",
           "return v_sub(FN(sigmoid_v)(z), t);", "return v_sub(t, FN(sigmoid_v)(z));",
           "test_losses.py", "the BCE gradient negated"),
    Mutant("bce-log-unclamped", "kernels", "csrc/kernels/losses.inc",
           "V lp = v_max(v_set((T)-100), FN(log_pos)(p));", "V lp = FN(log_pos)(p);",
           "test_losses.py", "log(0) = -inf makes the loss inf, not PyTorch's 100"),
    Mutant("cross-entropy-gradient-label-sign", "kernels", "csrc/kernels/losses.inc",
           "g[labels[r]] -= (T)inv_rows;", "g[labels[r]] += (T)inv_rows;",
           "test_losses.py", "the label's term added instead of subtracted"),
    # ---- optimisers
    Mutant("adam-bias-correction-dropped", "optimisers", "csrc/train.c",
           "bias_correction(c->beta1, s->step, w->adam_settled[0]),", "1.0,",
           "test_training.py -k 'matches_numpy and adam and sigmoid'",
           "Adam without its first bias correction"),
    Mutant("adam-second-bias-correction-dropped", "optimisers", "csrc/train.c",
           "bias_correction(c->beta2, s->step, w->adam_settled[1]));", "1.0);",
           "test_training.py -k 'matches_numpy and adam and sigmoid'", "Adam without its second bias correction"),
    Mutant("adam-bias-correction-settles-early", "optimisers", "csrc/train.c",
           "return step >= settled ? 1.0", "return step + 5 >= settled ? 1.0",
           "test_training.py -k bias_corrections",
           "1 - beta^t taken as exactly 1 five steps before it is (1 - 2^-50 at beta 0.5)"),
    Mutant("adam-weight-decay-sign", "optimisers", "csrc/kernels/optim.inc",
           "if (decay) gi = v_add(gi, v_mul(wd, pi));", "if (decay) gi = v_sub(gi, v_mul(wd, pi));",
           "test_training.py -k 'matches_numpy and adam and tanh'", "L2 decay pushes weights up"),
    Mutant("sgd-nesterov-ignored", "optimisers", "csrc/kernels/optim.inc",
           "gi = c->nesterov ? v_add(gi, v_mul(mu, bi)) : bi;", "gi = bi;",
           "test_training.py -k 'matches_numpy and nesterov and tanh'", "Nesterov momentum is plain momentum"),
    Mutant("sgd-momentum-ignored", "optimisers", "csrc/kernels/optim.inc",
           "V bi = first ? gi : v_add", "V bi = 1 ? gi : v_add",
           "test_training.py -k 'bce_classifier'", "the momentum buffer never accumulates"),
    Mutant("adam-moments-decay-into-subnormals", "optimisers", "csrc/kernels/optim.inc",
           "vi = FN(floored)(v_add(v_mul(vi, b2), v_mul(v_mul(w2, gi), gi)));",
           "vi = v_add(v_mul(vi, b2), v_mul(v_mul(w2, gi), gi));",
           "test_training.py -k 'moments_of_a_dead_unit and adam'",
           "a dead unit's v decays into the subnormals, where each operation takes a microcode assist"),
    Mutant("sgd-buffer-decays-into-subnormals", "optimisers", "csrc/kernels/optim.inc",
           "bi = FN(floored)(bi);", "", "test_training.py -k 'moments_of_a_dead_unit and sgd'",
           "a dead unit's momentum buffer decays into the subnormals"),
    # ---- dispatch
    Mutant("dispatch-ignores-the-level", "dispatch", "csrc/dispatch.c",
           "const pn_kernel_table *pn_active_kernels(void) { return tables[pn_simd_get()]; }",
           "const pn_kernel_table *pn_active_kernels(void) { return tables[best_level()]; }",
           "test_accuracy.py -k ieee_limits", "every level runs the best level's kernels"),
    Mutant("dispatch-disable-ignored", "dispatch", "csrc/dispatch.c",
           "return mask & ~disabled;", "return mask;",
           "test_dispatch.py", "PYNEURON_DISABLE_SIMD has no effect"),
    Mutant("describe-compiles-every-level", "dispatch", "csrc/dispatch.c",
           ".compiled = t != NULL};", ".compiled = 1};",
           "test_manifest.py", "pn_simd_describe says this build holds another architecture's kernels"),
    Mutant("describe-tile-sizes-swapped", "dispatch", "csrc/kernels/isa_kernels.inc",
           ".gemm_mr = GEMM_MR, .gemm_nv = GEMM_NV,", ".gemm_mr = GEMM_NV, .gemm_nv = GEMM_MR,",
           "test_manifest.py", "the tile sizes the tests sweep are not the kernels' own"),
    Mutant("relu-like-misses-the-smooth-family", "dispatch", "pyneuron/network.py",
           "if info[\"family\"] in (lib.PN_FAMILY_RELU, lib.PN_FAMILY_SMOOTH_RELU)}",
           "if info[\"family\"] == lib.PN_FAMILY_RELU}",
           "test_manifest.py", "GELU, SiLU, ELU and softplus networks default to Xavier, not He, initialisation"),
    Mutant("leaky-relu-default-slope-changed", "dispatch", "csrc/ops.def",
           "leaky_relu, PN_FAMILY_RELU, \"alpha\", 0.01, 0)", "leaky_relu, PN_FAMILY_RELU, \"alpha\", 0.02, 0)",
           "test_manifest.py", "the manifest's leaky-ReLU slope is not the documented 0.01"),
    Mutant("dead-units-counted-for-smooth-relus", "training", "csrc/kernels/lanes.inc",
           "if (pn_family_of(net->acts[l]) != PN_FAMILY_RELU) continue;",
           "if (pn_family_of(net->acts[l]) < PN_FAMILY_RELU) continue;",
           "test_training.py -k unit_statistics", "ELU and GELU units are counted as dead when below zero"),
    # ---- the neon level: cross-built and tested under qemu (tools/test_arm64.sh)
    Mutant("neon-copysign-keeps-the-magnitudes-sign", "kernels", "csrc/simd/isa_neon.h",
           "return vbslq_f32(vdupq_n_u32(0x80000000u), sgn, mag);",
           "return vbslq_f32(vdupq_n_u32(0x80000000u), mag, mag);",
           "test_accuracy.py -k 'float32_within_bound and tanh'",
           "float32 tanh at neon is positive for negative inputs", platform="arm64"),
    Mutant("neon-f64-sum-drops-a-lane", "kernels", "csrc/simd/isa_neon.h",
           "PN_SI double f64_hsum(f64_v v) { return vaddvq_f64(v); }",
           "PN_SI double f64_hsum(f64_v v) { return vgetq_lane_f64(v, 0); }",
           "test_losses.py -k 'mse and float64'", "float64 sums at neon lose every odd element", platform="arm64"),
    Mutant("set-simd-level-off-by-one", "dispatch", "pyneuron/_core.py",
           'check(lib.pn_simd_set(LEVELS.index(level)), "set_simd_level")',
           'check(lib.pn_simd_set(max(LEVELS.index(level) - 1, 0)), "set_simd_level")',
           "test_accuracy.py -k ieee_limits", "Python selects the level below the one asked for"),
    # ---- the training loop
    Mutant("minibatch-labels-in-file-order", "training", "csrc/train.c",
           "w->lb[r] = d->labels[idx[r]];", "w->lb[r] = d->labels[start + r];",
           "test_training.py -k 'wide and elu-cross_entropy'",
           "a minibatch's class labels are not those of its shuffled rows"),
    Mutant("minibatch-targets-in-file-order", "training", "csrc/train.c",
           "transpose(net->dtype, d->y, idx, m, out, w->ybT, ld);",
           "transpose(net->dtype, (const char *)d->y + start * out * (int64_t)elem_size(net->dtype), NULL, m, out, "
           "w->ybT, ld);",
           "test_training.py -k 'matches_numpy and sigmoid and 48'",
           "a minibatch's targets are not those of its shuffled rows"),
    Mutant("shuffle-is-sattolo", "training", "csrc/train.c",
           "* (uint64_t)(i + 1)) >> 64);", "* (uint64_t)i) >> 64);",
           "test_training.py -k 'matches_numpy and relu and sgd-48'",
           "j drawn from [0, i) instead of [0, i]: a biased shuffle"),
    Mutant("shuffled-once-only", "training", "csrc/train.c",
           "if (c->shuffle) shuffle(s->order, n, &s->rng);",
           "if (c->shuffle && s->epoch == 0) shuffle(s->order, n, &s->rng);",
           "test_training.py -k 'matches_numpy and relu and sgd-48'", "every epoch reuses the first order"),
    Mutant("epoch-divergence-unchecked", "training", "csrc/train.c",
           "if (!isfinite(loss)) { /* stop; the state it led to is the last snapshot */",
           "if (0) { /* stop; the state it led to is the last snapshot */",
           "test_training.py -k divergence", "a non-finite epoch loss is trained on"),
    # ---- recording and statistics
    Mutant("dead-means-off-for-one-input", "recording", "csrc/train.c",
           "*dead += r == m;", "*dead += r > 0;",
           "test_training.py -k 'unit_statistics and 72'", "a unit counts as dead if its first input is <= 0"),
    Mutant("lanes-dead-below-minus-one", "recording", "csrc/kernels/lanes.inc",
           "seen = v_max(seen, v_select(ok, v_select(v_gt(x, ZERO), ONE, ZERO), ZERO));",
           "seen = v_max(seen, v_select(ok, v_select(v_gt(x, v_set((T)-1)), ONE, ZERO), ZERO));",
           "test_training.py -k 'unit_statistics and 16'", "dead only where the pre-activation is <= -1"),
    Mutant("lanes-statistics-count-padding", "recording", "csrc/kernels/lanes.inc",
           "seen = v_max(seen, v_select(ok, v_select(v_gt(x, ZERO), ONE, ZERO), ZERO));",
           "seen = v_max(seen, v_select(v_gt(x, ZERO), ONE, ZERO));",
           "test_training.py -k 'unit_statistics and 16'", "the padding lanes of a partial vector count as inputs"),
    Mutant("saturation-threshold-10-percent", "recording", "csrc/kernels.h",
           "const double s = (1.0 + sqrt(0.95)) / 2.0;", "const double s = (1.0 + sqrt(0.90)) / 2.0;",
           "test_training.py -k unit_statistics", "saturated below 10% of the peak derivative, not 5%"),
    Mutant("gradient-norms-squared", "recording", "csrc/train.c",
           "norms[l] = sqrt(sum);", "norms[l] = sum;",
           "test_training.py -k 'matches_numpy and sigmoid and adam-None'", "the recorded norm is its square"),
    Mutant("predictions-before-the-output-activation", "recording", "csrc/train.c",
           "if (st == PN_OK) untranspose(net->dtype, w->a[net->n_layers - 1], out, m, m, dst);",
           "if (st == PN_OK) untranspose(net->dtype, w->z[net->n_layers - 1], out, m, m, dst);",
           "test_training.py -k 'wide and bce'", "grid predictions are logits, not probabilities"),
    Mutant("lanes-predictions-are-logits", "recording", "csrc/kernels/lanes.inc",
           "if (!identity && (!want_grad || !bce)) FN(activate)", "if (!identity && (want_grad && !bce)) FN(activate)",
           "test_training.py -k 'bce_classifier'", "the lanes path's predictions skip the output activation"),
    # ---- the lanes path (kernels/lanes.inc) and the loop around it
    Mutant("lanes-loss-counts-padding", "training", "csrc/kernels/lanes.inc",
           "                term = v_select(ok, term, ZERO);\n", "",
           "test_training.py -k 'matches_numpy and sigmoid and adam-None'",
           "the padding lanes of a partial vector add to the loss"),
    Mutant("lanes-gradient-of-padding", "training", "csrc/kernels/lanes.inc",
           "                g = v_select(ok, g, ZERO);\n", "",
           "test_training.py -k 'matches_numpy and sigmoid and adam-None'",
           "the padding lanes of a partial vector add to the gradient"),
    Mutant("lanes-partial-block-taken-as-full", "training", "csrc/kernels/lanes.inc",
           "full = left >= block;", "full = left > 0;",
           "test_training.py -k 'matches_numpy and sigmoid and adam-None'",
           "a block past the data's end is summed as if every lane held a sample"),
    Mutant("lanes-output-derivative-dropped", "training", "csrc/kernels/lanes.inc",
           "g = v_mul(identity ? g : v_mul(g, v_load(d + j * block + v * LANES)), scale);", "g = v_mul(g, scale);",
           "test_training.py -k 'mse_through_an_output_activation'",
           "MSE through a non-identity output activation ignores its derivative"),
    Mutant("lanes-partial-tiles-dropped", "training", "csrc/kernels/lanes.inc",
           "left + TILE * LANES - 1) / (TILE * LANES) * TILE", "left) / (TILE * LANES) * TILE",
           "test_training.py -k 'matches_numpy and tanh and sgd-None'",
           "the samples of a block's last, partial tile are skipped"),
    Mutant("lanes-blocks-step-by-the-base-size", "training", "csrc/kernels/lanes.inc",
           "for (int64_t s0 = 0; s0 < p->m; s0 += block) {",
           "for (int64_t s0 = 0; s0 < p->m; s0 += PN_LANES_BLOCK_BYTES / (int64_t)sizeof(T)) {",
           "test_training.py -k long_blocks",
           "a tiny net's blocks of twice the samples overlap: the second half of each counted twice"),
    Mutant("lanes-work-sized-for-the-base-block", "training", "csrc/train.c",
           "bytes = lanes_work_bytes(net, w->lanes_block);",
           "bytes = lanes_work_bytes(net, PN_LANES_BLOCK_BYTES / (int64_t)elem_size(net->dtype));",
           "test_training.py -k long_blocks",
           "the work buffer of a tiny net's longer blocks is sized for the usual ones: the pass writes past it"),
    Mutant("lanes-matvec-drops-an-odd-unit", "training", "csrc/kernels/lanes.inc",
           "    if (j < O) FN(lanes_matvec_units)(1,", "    if (0) FN(lanes_matvec_units)(1,",
           "test_training.py -k 'matches_numpy and tanh and sgd-None'", "a layer of odd width loses its last unit"),
    Mutant("lanes-outer-drops-an-odd-input", "training", "csrc/kernels/lanes.inc",
           "    if (i < I) FN(lanes_outer_tile)(1, nu, 0,", "    if (0) FN(lanes_outer_tile)(1, nu, 0,",
           "test_training.py -k 'matches_numpy and tanh and sgd-None'",
           "the weights out of the last input of an odd-width layer get no gradient"),
    Mutant("lanes-outer-drops-an-odd-unit", "training", "csrc/kernels/lanes.inc",
           "    if (j < O) FN(lanes_outer_units)(1,", "    if (0) FN(lanes_outer_units)(1,",
           "test_training.py -k remainders", "the last unit of an odd-width layer gets no weight or bias gradient"),
    Mutant("lanes-outer-bias-skipped-after-an-input-pair", "training", "csrc/kernels/lanes.inc",
           "else if (i == 2) FN(lanes_outer_tile)(2, nu, 1,", "else if (i == 2) FN(lanes_outer_tile)(2, nu, 0,",
           "test_training.py -k remainders", "a layer of 2 or 3 inputs (avx512) gets no bias gradient"),
    Mutant("lanes-backward-skips-the-derivative", "training", "csrc/kernels/lanes.inc",
           "FN(lanes_matvec)(W[l], 1, O, NULL, dz, block, O, I, deriv[l - 1], dz_prev, nv, block);",
           "FN(lanes_matvec)(W[l], 1, O, NULL, dz, block, O, I, NULL, dz_prev, nv, block);",
           "test_training.py -k 'matches_numpy and tanh and sgd-None'", "backpropagation ignores f'(z)"),
    Mutant("lanes-gradients-not-cleared", "training", "csrc/kernels/lanes.inc",
           "s0 == 0, nv, block);", "0, nv, block);",
           "test_training.py -k 'matches_numpy and tanh and sgd-None'", "each pass adds to the last one's gradient"),
    Mutant("lanes-gradients-keep-only-the-last-block", "training", "csrc/kernels/lanes.inc",
           "s0 == 0, nv, block);", "1, nv, block);",
           "test_training.py -k long_blocks", "each block's sums overwrite the blocks' before it"),
    Mutant("lanes-cross-entropy-sign", "training", "csrc/kernels/lanes.inc",
           "v_sub(ZERO, shifted), picked);", "shifted, picked);",
           "test_training.py -k 'cross_entropy_matches and None and labels'", "the label's logit enters the loss negated"),
    Mutant("lanes-minibatch-labels-in-file-order", "training", "csrc/train.c",
           "labels_as_values(net->dtype, d->labels, idx, m, w->ybT, ld);",
           "labels_as_values(net->dtype, d->labels, NULL, m, w->ybT, ld);",
           "test_training.py -k 'cross_entropy_matches and 32'",
           "the lanes path's minibatch labels are not those of its shuffled rows"),
    Mutant("snapshot-gradient-outlives-the-step", "training", "csrc/train.c",
           "    w->fresh = 0; /* the parameters moved */\n", "",
           "test_training.py -k 'matches_numpy and sigmoid and adam-None'",
           "a full-batch epoch steps with a snapshot's gradient of older parameters"),
    Mutant("estrin-drops-the-high-terms", "kernels", "csrc/kernels/math.inc",
           "return 8 < n ? v_fma(PN_E8(8), r8, PN_E8(0)) : PN_E8(0);", "return PN_E8(0);",
           "test_accuracy.py -k 'float64 and tanh'", "polynomials of more than 8 terms lose the rest"),
    Mutant("expm1-f64-coefficient-off", "kernels", "csrc/kernels/math.inc",
           "0x1.111111110f21ep-7", "0x1.111811110f21ep-7",
           "test_accuracy.py -k 'float64 and sigmoid'", "float64 exp's r^5 coefficient 2e-5 off"),
    # ---- files
    Mutant("save-writes-in-place", "files", "pyneuron/_files.py",
           'with os.fdopen(fd, "wb") as f:', 'os.close(fd)\n        with open(path, "wb") as f:',
           "test_trajectory.py", "a crash mid-save leaves half a file at the path"),
    Mutant("save-copies-instead-of-renaming", "files", "pyneuron/_files.py",
           "os.replace(tmp, path)", '__import__("shutil").copyfile(tmp, path)\n        os.unlink(tmp)',
           "test_trajectory.py -k syncs", "the final write to the path is not atomic"),
    Mutant("save-without-fsync", "files", "pyneuron/_files.py",
           "os.fsync(f.fileno())", "pass",
           "test_trajectory.py -k syncs", "a crash after the rename may leave an empty file"),
    Mutant("save-without-directory-sync", "files", "pyneuron/_files.py",
           "    sync_directory(directory)\n", "",
           "test_trajectory.py -k syncs", "a crash may undo the rename"),
    Mutant("saved-files-private", "files", "pyneuron/_files.py",
           "os.fchmod(fd, 0o666 & ~_umask())", "pass",
           "test_trajectory.py -k round_trip", "files get mkstemp's 0600: a video or deck no one else can read"),
    Mutant("leftovers-of-live-writers-removed", "files", "pyneuron/trajectory.py",
           "if match and not _process_alive(int(match.group(1))):", "if match:",
           "test_trajectory.py -k sigkill", "a save deletes the temporary file another process is writing"),
    Mutant("leftovers-kept", "files", "pyneuron/trajectory.py",
           "            _remove_leftovers(directory, prefix)\n", "            pass\n",
           "test_trajectory.py -k sigkill", "a writer killed mid-save litters the folder for good"),
    Mutant("load-accepts-newer-formats", "files", "pyneuron/trajectory.py",
           "if version > FORMAT_VERSION:", "if version > FORMAT_VERSION + 1:",
           "test_trajectory.py -k corrupt", "a newer file is read as if it were this version"),
    Mutant("interpolated-loss-linear", "recording", "pyneuron/trajectory.py",
           "return float(l0 * (l1 / l0) ** t) if l0 > 0 and l1 > 0 else", "return float(l0 + (l1 - l0) * t) if 1 else",
           "test_trajectory.py -k interpolates", "between snapshots the loss is interpolated linearly"),
    # ---- the Python API and datasets
    Mutant("out-overlap-not-copied", "api", "pyneuron/_arrays.py",
           "if in_place and out.nbytes == a.nbytes and byte_bounds(out) == byte_bounds(a):",
           "if in_place:", "test_tails.py -k 'overlap and sigmoid'",
           "an out= overlapping its input is computed in place, shifted"),
    Mutant("parameter-fast-path-takes-nan", "api", "pyneuron/functional.py",
           "elif type(value) is float and value - value == 0.0:", "elif type(value) is float:",
           "test_inputs.py -k parameters_are_validated",
           "alpha=nan or inf skips kernel_args' check and reaches the kernel"),
    Mutant("fast-path-out-shape-unchecked", "api", "pyneuron/functional.py",
           "                    elif out.dtype is x.dtype and out.shape == x.shape:\n"
           "                        if not act_forward(",
           "                    elif out.dtype is x.dtype:\n"
           "                        if not act_forward(",
           "test_inputs.py -k out_is_validated", "an out= of another shape (as many elements) is written"),
    Mutant("fast-path-writes-read-only-out", "api", "pyneuron/functional.py",
           "if not act_forward(code, dtype, from_buffer(x), from_buffer(chars, out, True), x.size,",
           "if not act_forward(code, dtype, from_buffer(x), from_buffer(out), x.size,",
           "test_inputs.py -k out_is_validated", "a read-only out= is written"),
    Mutant("fast-path-grad-shape-unchecked", "api", "pyneuron/functional.py",
           "if dtype is not None and grad.dtype is x.dtype and grad.shape == x.shape:",
           "if dtype is not None and grad.dtype is x.dtype:",
           "test_inputs.py -k backward_shape_mismatch", "x and grad of different shapes are paired element by element"),
    Mutant("fast-path-result-is-the-input", "api", "pyneuron/functional.py",
           "y = x.copy()\n", "y = x\n",
           "test_inputs.py -k neither", "a small activation is computed into the caller's x"),
    Mutant("fast-path-backward-result-is-grad", "api", "pyneuron/functional.py",
           "dx = grad.copy()\n", "dx = grad\n",
           "test_inputs.py -k neither", "a small activation's backward is computed into the caller's grad"),
    Mutant("fast-path-softmax-result-is-the-input", "api", "pyneuron/functional.py",
           "result = x.copy() if grad is None else grad.copy()", "result = x if grad is None else grad.copy()",
           "test_inputs.py -k neither", "a small softmax is computed into the caller's x"),
    Mutant("fast-path-softmax-any-axis", "api", "pyneuron/functional.py",
           "type(x) is _ndarray and type(axis) is int and axis == -1 and x.ndim",
           "type(x) is _ndarray and type(axis) is int and x.ndim",
           "test_softmax.py", "softmax along another axis runs along the last"),
    Mutant("progress-bar-loss-lags", "api", "pyneuron/network.py",
           "                        bar.set_postfix(loss=f\"{out['loss'][rec.next - 1]:.3g}\", refresh=False)\n"
           "                        bar.update(todo)",
           "                        bar.update(todo)\n"
           "                        bar.set_postfix(loss=f\"{out['loss'][rec.next - 1]:.3g}\", refresh=False)",
           "test_training.py -k progress", "the bar shows the previous chunk's loss"),
    Mutant("loss-output-mismatch-accepted", "api", "pyneuron/network.py",
           "if need and self.output_activation != need:", "if need and not self.output_activation:",
           "test_training.py test_landscape.py -k 'rejects_bad_arguments or refuse_bad_input'",
           "bce trains a network without a sigmoid output (and losses() evaluates one)"),
    Mutant("ctrl-c-in-fit-escapes", "api", "pyneuron/network.py",
           "        except KeyboardInterrupt:  # raised by Python code in the loop (the progress bar, say)\n"
           "            partial = True\n",
           "",
           "test_training.py -k interrupt", "Ctrl-C during fit raises instead of returning the partial trajectory"),
    Mutant("ctrl-c-in-sweep-escapes", "api", "pyneuron/sweeps.py",
           "    except KeyboardInterrupt:  # raised by Python code between batches (the progress bar, say)\n"
           "        pass\n",
           "",
           "test_sweep.py -k interrupt", "Ctrl-C during a sweep raises instead of returning the finished runs"),
    Mutant("fit-forgets-the-source", "api", "pyneuron/network.py",
           '"x_max": xs.max(0).tolist(), **data_info},', '"x_max": xs.max(0).tolist()},',
           "test_network.py -k came_from", "a run no longer says what it was trained on"),
    Mutant("csv-nan-accepted", "datasets", "pyneuron/csv_data.py",
           "    if not math.isfinite(value):\n", "    if False:\n",
           "test_csv.py -k bad_file", "NaN and inf cells of a CSV file train as numbers"),
    Mutant("csv-short-rows-read", "datasets", "pyneuron/csv_data.py",
           "if len(row) != len(header):", "if len(row) > len(header):",
           "test_csv.py -k bad_file", "a short CSV row leaves uninitialised values in x"),
    Mutant("csv-binary-labels-unchecked", "datasets", "pyneuron/csv_data.py",
           "bad = np.flatnonzero((y != 0) & (y != 1))", "bad = np.flatnonzero(y != y)",
           "test_csv.py -k bad_file", "labels other than 0/1 reach BCE"),
    Mutant("csv-features-in-file-order", "datasets", "pyneuron/csv_data.py",
           "x = values[:, [header.index(c) for c in columns]]", "x = values[:, sorted(header.index(c) for c in columns)]",
           "test_csv.py -k order", "--features y,b reads the columns in the file's order, not the one asked for"),
    Mutant("test-split-overlaps", "api", "pyneuron/network.py",
           "train, test = np.sort(order[:k]), np.sort(order[k:])", "train, test = np.sort(order[:k]), np.sort(order[k - 1:])",
           "test_validation.py -k train_ratio", "a sample is both trained and tested on"),
    Mutant("test-loss-of-the-first-snapshot", "api", "pyneuron/network.py",
           "net, _keep = self._c_net(params[k])", "net, _keep = self._c_net(params[0])",
           "test_validation.py -k 'separate or training_data'", "every snapshot's test record is the untrained network's"),
    Mutant("test-accuracy-counts-everything", "api", "pyneuron/network.py",
           "else ((p > 0.5) == (t > 0.5)).mean(axis=(1, 2))", "else (p >= 0).mean(axis=(1, 2))",
           "test_validation.py -k separate", "the test accuracy is 100% whatever the network says"),
    Mutant("l1-as-l2", "training", "csrc/train.c",
           "const T moved = p[i] - shrink * (T)((p[i] > 0) - (p[i] < 0));", "const T moved = p[i] - shrink * p[i];",
           "test_training.py -k regularization_matches", "L1 regularisation shrinks weights in proportion, as L2"),
    Mutant("l1-never-stops-at-zero", "training", "csrc/train.c",
           "p[i] = moved * p[i] < 0 ? (T)0 : moved;", "p[i] = moved;",
           "test_training.py -k l1_leaves", "L1 pushes weights back and forth across 0 instead of leaving them there"),
    Mutant("regularization-on-biases", "training", "csrc/train.c",
           "at += weights + net->sizes[l + 1];", "at += weights;",
           "test_training.py -k regularization_matches", "the penalty lands on the biases (and misses later weights)"),
    Mutant("regularization-rate-unchecked", "training", "csrc/train.c",
           "    if (!(c->regularization_rate >= 0) || !isfinite(c->regularization_rate)) return PN_ERR_ARG;\n", "",
           "test_c_api.py -k regularization", "a negative or NaN rate reaches the loop"),
    Mutant("float32-nets-not-regularized", "training", "csrc/train.c",
           "    else penalty_f32(net, c, (float *)grad);\n", "",
           "test_training.py -k float32_networks_regularize", "a float32 network ignores its regularisation"),
    Mutant("default-leaky-slope", "api", "csrc/ops.def",
           'leaky_relu, PN_FAMILY_RELU, "alpha", 0.01, 0)', 'leaky_relu, PN_FAMILY_RELU, "alpha", 0.1, 0)',
           "test_cli.py -k target_and_save", "leaky ReLU's documented default slope changed"),
    Mutant("he-init-is-lecun", "api", "pyneuron/network.py",
           "w = rng.normal(0.0, math.sqrt(2.0 / fan_in), layer.W.shape)",
           "w = rng.normal(0.0, math.sqrt(1.0 / fan_in), layer.W.shape)",
           "test_network.py", "He initialisation with LeCun's variance"),
    Mutant("exp-decay-range-open", "datasets", "pyneuron/datasets.py",
           "x = np.linspace(lo, hi, n)", "x = np.linspace(lo, hi, n, endpoint=False)",
           "test_datasets.py -k exp_decay", "x stops short of the range's end"),
    Mutant("xor-is-linear", "datasets", "pyneuron/datasets.py",
           "_labels(pts[:, 0] * pts[:, 1] >= 0)", "_labels(pts[:, 0] + pts[:, 1] >= 0)",
           "test_datasets.py", "the XOR labels are a half-plane"),
    Mutant("ulp-sweep-ignores-the-subnormal-bound", "accuracy", "tools/ulp_sweep.py",
           'for kind, bound in (("normal", case.bound), ("subnormal", subnormal_bound(case))):',
           'for kind, bound in (("normal", case.bound),):',
           "test_ulp_sweep.py -k failures", "denormal outputs may be any number of ulp off"),
    # ---- the command line
    Mutant("cli-diverged-exits-0", "cli", "pyneuron/cli.py",
           "return 130 if traj.partial else (1 if traj.diverged_at is not None else 0)",
           "return 130 if traj.partial else 0", "test_cli.py -k diverged", "a diverged run reports success"),
    Mutant("cli-traceback-on-bad-values", "cli", "pyneuron/cli.py",
           "except (CliError, ValueError, TypeError, OSError, ImportError) as exc:",
           "except (CliError, TypeError, OSError, ImportError) as exc:",
           "test_cli.py -k one_line", "a bad value ends in a traceback"),
    # ---- videos, slides and notebooks (pyneuron/video, pyneuron/plotting.py)
    Mutant("cache-ignores-the-build", "video", "pyneuron/video/runs.py",
           "settings = dict(settings, build=build_identity())", "settings = dict(settings)",
           "test_video.py -k rebuilt", "a rebuilt kernel is served trajectories trained by the old one"),
    Mutant("replay-drops-alpha", "video", "pyneuron/network.py",
           "return op if alpha is None else functools.partial(op, alpha=alpha)", "return op",
           "test_video.py -k replays", "a replayed leaky ReLU or ELU uses the default slope, not the run's"),
    Mutant("replay-gelu-tanh-as-exact", "video", "pyneuron/network.py",
           'return functools.partial(F.gelu, approximate="tanh")', "return F.gelu",
           "test_video.py -k replays", "a gelu_tanh run replays with the exact GELU"),
    Mutant("fit-runs-on-different-grids-shown", "video", "pyneuron/video/stories.py",
           "        if len(grids) > 1:\n", "        if False:\n",
           "test_video.py -k share", "runs over different x ranges are drawn on one axis as if alike"),
    Mutant("task-picks-the-wrong-scene", "video", "pyneuron/video/stories.py",
           '        return "boundary"\n', '        return "gradients"\n',
           "test_video.py -k picks", "a 2-D classifier is not shown as a decision boundary"),
    Mutant("kinks-of-ignored-switches", "video", "pyneuron/video/stories.py",
           "if abs(after - before) > bend:", "if True:",
           "test_scene_render.py -k dead", "a dead network's flat line is said to have kinks"),
    Mutant("settings-unchecked", "video", "pyneuron/video/settings.py",
           "        if not rule.check(value):\n", "        if False:\n",
           "test_scene_fit.py -k bad_setting", "a bad scene setting reaches manim (a traceback, or nonsense)"),
    Mutant("captions-are-not-slides", "video", "pyneuron/video/widgets.py",
           "next_slide(notes=message)", "pass",
           "test_scene_slides.py -k scene_file", "a deck is one long slide, without speaker notes"),
    Mutant("deck-fetches-reveal-js", "video", "pyneuron/video/slides.py",
           "item.replace_with(inline)", "pass",
           "test_scene_slides.py -k recorded", "the deck loads reveal.js from a CDN: no network, no slides"),
    Mutant("test-points-not-outlined", "video", "pyneuron/video/panels.py",
           "np.concatenate([np.zeros(len(x), bool), np.ones(len(tx), bool)])",
           "np.concatenate([np.zeros(len(x), bool), np.zeros(len(tx), bool)])",
           "test_video.py -k test_split", "test points look like training points on the map"),
    Mutant("feature-product-squares-x-a", "features", "csrc/api.c",
           "case PN_FEATURE_PRODUCT: out[j] = a * x[f[j].b]; break;", "case PN_FEATURE_PRODUCT: out[j] = a * a; break;",
           "test_features.py -k 'numpy or any_input'", "x1*x2 computed as x1^2"),
    Mutant("feature-kinds-unchecked", "features", "csrc/api.c",
           "if (features[j].kind < 0 || features[j].kind >= PN_FEATURE_COUNT) return PN_ERR_OP;", "",
           "test_features.py -k c_layer", "an unknown feature code is computed as sin instead of refused"),
    Mutant("replay-ignores-the-features", "features", "pyneuron/video/runs.py",
           "        a = features.expand(a, info.features)", "        pass",
           "test_video.py -k input_features", "videos of a run with features replay its raw inputs through the first layer"),
    Mutant("test-set-without-features", "features", "pyneuron/network.py",
           'first = self._first_layer(x, "fit")', 'first = features_module.expand(x[:, ::-1], self.features, x.dtype) '
           'if self.features else x',
           "test_features.py -k fed_the_features", "the test set's features are computed from swapped columns"),
    Mutant("boundary-length-rows-only", "video", "pyneuron/video/stories.py",
           "return int((blue[1:] != blue[:-1]).sum() + (blue[:, 1:] != blue[:, :-1]).sum())",
           "return int((blue[1:] != blue[:-1]).sum())",
           "test_scene_overfitting.py -k boundary_length", "a boundary's length misses its vertical runs"),
    Mutant("lowest-test-loss-is-the-first", "video", "pyneuron/video/stories.py",
           "k = int(np.nanargmin(traj.test.loss))", "k = 0",
           "test_scene_overfitting.py -k 'lowest_test_loss or turns_up'",
           "the overfitting video's lowest test loss is the untrained network's"),
    Mutant("regression-map-shows-logits", "video", "pyneuron/video/panels.py",
           'if traj.info.task == "regression":', 'if traj.info.task == "never":',
           "test_scene_render.py -k 2d_regression", "a 2-D regression is drawn as a probability's logit"),
    Mutant("feature-maps-show-raw-inputs", "video", "pyneuron/video/panels.py",
           "inputs = grid if traj.features is None else features.expand(grid, traj.features)",
           "inputs = grid",
           "test_scene_render.py -k input_features", "the feature column of the playground view shows x1, x2"),
    Mutant("boundary-scene-ignores-features", "video", "scenes/boundary.py",
           'seed=cfg["seed"], features=cfg["features"],', 'seed=cfg["seed"],',
           "test_scene_boundary.py -k every_playground_control", "the features setting never reaches the runs"),
    Mutant("overfitting-scene-penalises-both", "video", "scenes/overfitting.py",
           'regularization=cfg["regularization"] if penalised else None,\n'
           '                       regularization_rate=cfg["regularization_rate"] if penalised else 0.0)',
           'regularization=cfg["regularization"],\n'
           '                       regularization_rate=cfg["regularization_rate"])',
           "test_scene_overfitting.py -k turns_up", "the run without the penalty has it too"),
    Mutant("cli-ignores-input-features", "features", "pyneuron/cli.py",
           "                  features=args.input_features)", "                  features=None)",
           "test_features.py -k cli", "--input-features is parsed and then dropped"),
    Mutant("features-listed-twice-allowed", "features", "pyneuron/features.py",
           "        if text in out:", "        if False:",
           "test_features.py -k bad_feature_lists", "a feature listed twice feeds the first layer twice"),
    Mutant("scenarios-may-mix-tasks", "video", "scenes/boundary.py",
           "    return len({spec.partition(\"/\")[0] in datasets.REGRESSION_2D for spec in scenarios}) == 1",
           "    return True",
           "test_scene_boundary.py -k bad_playground_settings", "a classifier and a regression share one colour key"),
    Mutant("plot-shows-the-first-field", "notebook", "pyneuron/plotting.py",
           "field = traj.predictions[last][:, 0].reshape(res, res)", "field = traj.predictions[0][:, 0].reshape(res, res)",
           "test_plotting.py", "a 2-D run's plot shows the untrained network as the final one"),
    # ---- sweeps (csrc/sweep.c, pyneuron/sweeps.py)
    Mutant("sweep-last-job-skipped", "sweeps", "csrc/sweep.c",
           "        if (i >= q->count) return;", "        if (i >= q->count - 1) return;",
           "test_sweep.py -k 'every_run or own_status'", "pn_train_jobs stops one job short"),
    Mutant("sweep-helper-levels-not-counted", "sweeps", "csrc/sweep.c",
           "        pn_simd_count_served((int)(intptr_t)served);", "        (void)served;",
           "test_sweep.py -k every_run", "a sweep's kernels escape the level check of its caller's thread"),
    Mutant("sweep-snapshots-bool-as-integer", "sweeps", "pyneuron/sweeps.py",
           "isinstance(snapshots, (int, np.integer)) and not isinstance(snapshots, bool)",
           "isinstance(snapshots, (int, np.integer))",
           "test_sweep.py -k bad_settings", "sweep(snapshots=True) is refused as 'got 1', not as what was passed"),
    Mutant("sweep-lr-axis-ignored", "sweeps", "pyneuron/sweeps.py",
           '            optimizer = dataclasses.replace(optimizer, lr=s["lr"])',
           "            optimizer = dataclasses.replace(optimizer)",
           "test_sweep.py -k every_run", "every run of an lr sweep trains at the optimizer's own lr"),
    Mutant("sweep-diverged-slot-kept", "sweeps", "pyneuron/sweeps.py",
           '            self.loss[i, :recorded - 1] = out["loss"][:recorded - 1]',
           '            self.loss[i, :recorded] = out["loss"][:recorded]',
           "test_sweep.py -k diverging", "a diverged run's last loss is shown at an epoch it never reached"),
    Mutant("sweep-dask-chunks-misplaced", "sweeps", "pyneuron/sweeps.py",
           "            _place(result, futures[future], part)", "            _place(result, 0, part)",
           "test_sweep.py -k dask", "every Dask chunk's runs land on the first runs"),
    Mutant("sweep-file-loses-its-optimizers", "sweeps", "pyneuron/sweeps.py",
           '            runs = [{k: (_optimizer_from_config(v) if k == "optimizer" and isinstance(v, dict) else v)',
           "            runs = [{k: v",
           "test_sweep.py -k saved_sweep", "a loaded sweep's runs name their optimizers as plain dicts"),
    # ---- loss landscapes (pn_mlp_losses, pyneuron/landscape.py)
    Mutant("losses-skip-the-first-vector", "landscape", "csrc/train.c",
           "    for (int64_t i = 0; i < count && st == PN_OK; i++) {",
           "    for (int64_t i = 1; i < count && st == PN_OK; i++) {",
           "test_landscape.py -k recorded_ones", "pn_mlp_losses leaves the first parameter vector's loss unwritten"),
    Mutant("losses-label-equal-to-the-class-count", "landscape", "csrc/train.c",
           "            if (d->labels[i] < 0 || d->labels[i] >= out) return PN_ERR_LABEL;",
           "            if (d->labels[i] < 0 || d->labels[i] > out) return PN_ERR_LABEL;",
           "test_landscape.py -k checks_its_arguments", "a label one past the last class is read as a class"),
    Mutant("landscape-origin-is-the-first-snapshot", "landscape", "pyneuron/landscape.py",
           "    origin = params[-1]", "    origin = params[0]",
           "test_landscape.py -k plane_path", "the plane goes through the initial weights, not the final ones"),
    Mutant("histogram-frozen-at-the-start", "video", "pyneuron/video/ensembles.py",
           "        values = losses_at(self.result.loss[runs], u)", "        values = losses_at(self.result.loss[runs], 0)",
           "test_scene_ensemble.py -k histogram_bars", "the ensemble's histogram never leaves the initial losses"),
    Mutant("stuck-measured-against-the-final-loss", "video", "pyneuron/video/ensembles.py",
           "    return ~(now <= share * result.loss[runs, 0])", "    return ~(now <= share * result.loss[runs, -1])",
           "test_scene_ensemble.py -k claims", "every run counts as stuck: its loss is compared with itself"),
    Mutant("landscape-resolution-of-one-allowed", "video", "scenes/landscape.py",
           '"resolution": count_between(2, 1001),', '"resolution": count_between(1, 1001),',
           "test_scene_landscape.py -k settings", "a one-point grid passes the settings check and fails mid-render"),
    Mutant("landscape-dot-a-snapshot-ahead", "video", "pyneuron/video/ensembles.py",
           "        return np.array([np.interp(u, k, self.land.path[:, 0]), np.interp(u, k, self.land.path[:, 1])])",
           "        return np.array([np.interp(u + 1, k, self.land.path[:, 0]), np.interp(u + 1, k, self.land.path[:, 1])])",
           "test_scene_landscape.py -k recorded_path", "the dot runs one snapshot ahead of the loss it shows"),
]


def check_list(mutants: list[Mutant], root: Path = ROOT) -> list[str]:
    """Problems with the list itself: duplicate ids, edits that do not apply
    exactly once, no-op edits."""
    problems, seen = [], set()
    for m in mutants:
        if m.id in seen:
            problems.append(f"{m.id}: duplicate id")
        seen.add(m.id)
        path = root / m.file
        if not path.exists():
            problems.append(f"{m.id}: {m.file} does not exist")
            continue
        count = path.read_text().count(m.old)
        if count != 1:
            problems.append(f"{m.id}: the text to replace occurs {count} times in {m.file}, not once")
        if m.old == m.new:
            problems.append(f"{m.id}: the edit changes nothing")
        if m.platform not in ("native", "avx512", "arm64"):
            problems.append(f"{m.id}: unknown platform {m.platform!r}")
    return problems


# ------------------------------------------------------------------ running

def log(message: str) -> None:
    print(message, flush=True)


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                         check=True, capture_output=True).stdout
    return [f for f in out.decode().split("\0") if f and (ROOT / f).is_file()]


class Scratch:
    """A copy of the checkout with the extension built in place."""

    def __init__(self, directory: Path):
        self.dir = directory
        for f in tracked_files():
            dst = directory / f
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, dst)
        self.build_dir = directory / "build" / "mutants"
        started = time.perf_counter()
        subprocess.run(["cmake", "-S", str(directory), "-B", str(self.build_dir), "-G", "Ninja",
                        "-DCMAKE_BUILD_TYPE=Release", f"-DPython_EXECUTABLE={sys.executable}"],
                       check=True, capture_output=True)
        self.build()
        log(f"built the scratch copy in {time.perf_counter() - started:.0f} s: {directory}")

    def build(self) -> bool:
        result = subprocess.run(["ninja", "-C", str(self.build_dir)], capture_output=True, text=True)
        if result.returncode:
            log(result.stdout[-3000:] + result.stderr[-3000:])
            return False
        for so in self.build_dir.glob("_ffi*.so"):
            shutil.copy2(so, self.dir / "pyneuron" / so.name)
        return True

    def run_tests(self, args: str, platform: str = "native") -> tuple[int, str, float]:
        env = {**os.environ, "PYTHONPATH": str(self.dir), "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("PYNEURON_SIMD", None)
        env.pop("PYNEURON_DISABLE_SIMD", None)
        if platform == "arm64":  # its own cross-build of the scratch copy, in the checkout's arm64 tree
            env["ARM64_ROOT"] = str(ROOT / "build" / "arm64" / "root")
            command, cwd = ["bash", "tools/test_arm64.sh", "--", *shlex.split(args)], self.dir  # no -x: under xdist it exits 2
        else:
            command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *shlex.split(args)]
            cwd = self.dir / "tests"
        started = time.perf_counter()
        try:
            result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                                    timeout=TEST_TIMEOUT)
        except subprocess.TimeoutExpired:
            return -1, "timeout", time.perf_counter() - started
        return result.returncode, result.stdout + result.stderr, time.perf_counter() - started

    def simd_levels(self) -> list[str]:
        """The SIMD levels this CPU runs, as the scratch build sees them."""
        env = {**os.environ, "PYTHONPATH": str(self.dir)}
        return subprocess.run([sys.executable, "-c", "import pyneuron; print(*pyneuron.simd_levels())"],
                              cwd=self.dir / "tests", env=env, capture_output=True, text=True,
                              check=True).stdout.split()

    def check_imports_itself(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(self.dir)}
        where = subprocess.run([sys.executable, "-c", "import pyneuron; print(pyneuron.__file__)"], cwd=self.dir / "tests",
                               env=env, capture_output=True, text=True, check=True).stdout.strip()
        if not where.startswith(str(self.dir)):
            raise SystemExit(f"mutants: the tests would import {where}, not the scratch copy")


def summary_line(output: str) -> str:
    lines = [l for l in output.strip().splitlines() if l.strip()]
    return lines[-1] if lines else ""


def run(mutants: list[Mutant], keep: bool = False) -> int:
    problems = check_list(mutants)
    if problems:
        for p in problems:
            log(f"mutants: {p}")
        return 2
    for tool in ("cmake", "ninja", "git"):
        if not shutil.which(tool):
            raise SystemExit(f"mutants: {tool} is needed (apt-get install cmake ninja-build git)")
    started = time.perf_counter()
    directory = Path(tempfile.mkdtemp(prefix="pyneuron-mutants-"))
    try:
        scratch = Scratch(directory)
        scratch.check_imports_itself()
        levels = scratch.simd_levels()
        not_run = [m for m in mutants if m.platform == "avx512" and "avx512" not in levels]
        for m in not_run:
            log(f"{'not run':>16}  {m.id:<45} this CPU has no avx512 level")
        mutants = [m for m in mutants if m not in not_run]
        # Python-only edits first, against the unmutated build; then C edits, each rebuilt.
        order = sorted(mutants, key=lambda m: m.is_c)
        selections = sorted({(m.tests, m.platform) for m in order})
        for args, platform in selections:
            code, output, seconds = scratch.run_tests(args, platform)
            if code != 0:
                log(f"mutants: unmutated, `pytest {args}` ({platform}) fails ({seconds:.0f} s):\n{output[-4000:]}")
                return 2
        log(f"unmutated: {len(selections)} test selections pass")
        results = []
        for m in order:
            path = scratch.dir / m.file
            original = path.read_text()
            path.write_text(original.replace(m.old, m.new, 1))
            try:
                if m.is_c and not scratch.build():
                    log(f"mutants: {m.id} does not compile")
                    return 2
                code, output, seconds = scratch.run_tests(m.tests, m.platform)
            finally:
                path.write_text(original)
            verdict = "caught" if code == 1 else "TIMEOUT (caught)" if code == -1 else \
                      "SURVIVED" if code == 0 else f"error (pytest exit {code})"
            results.append((m, verdict, seconds))
            log(f"{verdict:>16}  {m.id:<45} {seconds:5.0f} s  {summary_line(output)}")
            if verdict.startswith("error"):
                log(output[-4000:])
        if any(m.is_c for m in mutants):
            scratch.build()  # leave the scratch build unmutated
        survived = [m for m, v, _ in results if v == "SURVIVED"]
        errors = [m for m, v, _ in results if v.startswith("error")]
        log(f"\n{len(results) - len(survived) - len(errors)} of {len(results)} mutants caught, "
            f"{len(survived)} survived, {len(errors)} errors, in {time.perf_counter() - started:.0f} s"
            + (f"; {len(not_run)} not run (no avx512 level on this CPU)" if not_run else ""))
        for m in survived:
            log(f"SURVIVED: {m.id} ({m.file}): {m.why}; tests: {m.tests}")
        return 0 if not survived and not errors else 1
    finally:
        if keep:
            log(f"scratch copy kept: {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--only", nargs="+", metavar="ID", help="run these mutants")
    parser.add_argument("--sample", type=int, metavar="K", help="run K mutants drawn at random")
    parser.add_argument("--seed", type=int, help="seed of --sample (default: random, printed)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy")
    args = parser.parse_args(argv)
    if args.list:
        for m in MUTANTS:
            print(f"{m.area:<11} {m.id:<45} {m.file}: {m.why}")
        print(f"{len(MUTANTS)} mutants")
        return 0
    chosen = MUTANTS
    if args.only:
        by_id = {m.id: m for m in MUTANTS}
        unknown = [i for i in args.only if i not in by_id]
        if unknown:
            parser.error(f"unknown mutant id(s): {', '.join(unknown)}")
        chosen = [by_id[i] for i in args.only]
    if args.sample is not None:
        seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
        log(f"sample of {args.sample} of {len(chosen)} mutants, --seed {seed}")
        chosen = random.Random(seed).sample(chosen, min(args.sample, len(chosen)))
    return run(chosen, keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
