"""Writes the seed corpus for fuzz/fuzz_api.c into the directory given.

One seed per entry point and SIMD level: the level's pn_simd_set call,
then the entry point's opcode and bytes below 0x80, which decode as valid
codes, small sizes and own buffers (see fuzz/README.md), so that every
entry point is reached from the first run; lengths vary so that the
filling recipes have input bytes to use.  Deterministic: the same seeds on
every machine.
"""
import base64
import random
import sys
from pathlib import Path

ARRAY_CALLS = 14             # opcodes 0..13: the calls with arrays
MLP_FORWARD, TRAIN, TRAIN_JOBS = 10, 11, 13
SIMD_SET, MESSAGES = 14, 15  # then pn_simd_set and the message calls
LEVELS = (0, 1, 2)

# A 2-4-1 network (tanh, identity) in the order decode_net reads it: layer
# count, dtype, softmax flag, then width, act, alpha per layer and the last
# width, the NULL-struct byte, and the placements of sizes, acts, alphas, params.
def net(dtype: int, softmax: bool) -> bytes:
    return bytes([1, dtype, 0 if softmax else 1, 1, 2, 0, 3, 0, 0, 1 if softmax else 0, 0x10, 0, 0, 0, 0])

UNIFORM = bytes([0x01, 1, 2, 3, 4, 23])  # fill_reals: uniform in [-1/2, 1/2)
ZEROS = bytes([0x03, 0, 0, 0, 0, 0])     # fill_reals: special value 0 throughout

# pn_train: config (loss, optimizer, lr 0.1, momentum 0, nesterov, beta1 0.9,
# beta2 0.999, eps 1e-8, weight decay 0, batch 3, shuffle, regularization and
# its rate: none and 0 unless given), n 8, grid 4,
# epoch 0, step 0, rng, 3 snapshots from slot 0, 3 epochs; 13 placements
# (labels NULL if not with_labels); then the contents: params, x, y,
# labels, grid, schedule, opt_a, opt_b, order.
def train(dtype: int, xent: bool, with_labels: bool, regularization: tuple[int, int] = (0, 8),
          opcode: int = TRAIN) -> bytes:
    config = bytes([2 if xent else 0, 1 if xent else 0, 1, 8, 0, 5, 6, 7, 8, 3, 1, *regularization, 8, 4, 0, 0])
    config += bytes(8)
    config += bytes([3, 0, 3, 0, 0, 0 if with_labels else 0xF0]) + bytes(10)
    labels = bytes(range(8)) if with_labels else b""
    contents = UNIFORM * 3 + labels + UNIFORM + bytes([0, 0, 1, 1]) + ZEROS * 2 + bytes(5)
    return bytes([opcode]) + net(dtype, xent) + config + contents

def mlp_forward(dtype: int, softmax: bool) -> bytes:
    return bytes([MLP_FORWARD]) + net(dtype, softmax) + bytes([16, 0, 0]) + UNIFORM * 2


# Inputs that once broke a contract, replayed as seeds on every run.
REGRESSIONS = {
    # pn_softmax_backward, float32, avx512, 56 x 72: gradients of 2^-126 and
    # 2^-142 whose products with the probabilities underflowed, each product
    # rounded to the subnormal grid, summed 1.7 smallest subnormals off.
    "softmax-backward-underflowed-products": "EwAOSEhISG91fyBvZiBtZW1vcnkAnQBkZGRkZCAAAAAAAAAAAAAAAIAAAAA=",
    # pn_features with no features and a huge n: valid, but the harness's
    # check looped over the n rows with nothing in them (a timeout).
    "features-none-of-huge-n": "Dvr8/Pz8AAAAAAsAAAD//////////xVBKBkJdHwjdf0BdAF2X8Hc0P4AAAAAAChW9hQAVQoOdW5jBn9EITA=",
}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("seed-*"):
        old.unlink()
    for op in range(ARRAY_CALLS):
        for level in LEVELS:
            rng = random.Random(op * 8 + level)
            body = bytes(rng.randrange(0x80) for _ in range(32 << level))
            (out / f"seed-{op:02d}-level{level}").write_bytes(bytes([SIMD_SET, level, op]) + body)
    for dtype in (0, 1):
        for variant in (False, True):
            (out / f"seed-train-{dtype}-{int(variant)}").write_bytes(train(dtype, variant, True))
            (out / f"seed-mlp-{dtype}-{int(variant)}").write_bytes(mlp_forward(dtype, variant))
        (out / f"seed-train-{dtype}-mse-targets-only").write_bytes(train(dtype, False, False))
        (out / f"seed-train-{dtype}-l2").write_bytes(train(dtype, False, False, regularization=(2, 1)))
        (out / f"seed-train-jobs-{dtype}").write_bytes(train(dtype, False, True, opcode=TRAIN_JOBS))
    for name, data in REGRESSIONS.items():
        (out / f"seed-regression-{name}").write_bytes(base64.b64decode(data))
    (out / "seed-messages").write_bytes(bytes([MESSAGES, 0, 3, MESSAGES, 0x80, 0xFF, 0xFF, 0xFF, 0x7F]))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
