"""The command line: ``python -m pyneuron`` (or ``pyneuron``).

    pyneuron train --layers 1,2,2,1 --activation leaky_relu --target "exp(-5*x)" \\
                   --epochs 10000 --optimizer adam --lr 0.01 --out runs/leaky.npz
    pyneuron train --layers 2,8,8,1 --activation tanh --dataset circle --out runs/circle.npz
    pyneuron render runs/leaky.npz runs/sigmoid.npz -ql --out cmp.mp4
    pyneuron slides scenes/fit.py --out fit.html
    pyneuron info

Errors are one line on stderr and exit status 2; an interrupted run
(Ctrl-C) saves what it recorded and exits with status 130.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from . import __version__, datasets
from ._core import LEVELS, ffi, lib, simd_level, simd_levels
from ._registry import case_label, measured_accuracy
from .network import ACTIVATION_NAMES, INITS, Network
from .optim import SGD, Adam


class CliError(Exception):
    """A problem with the user's request: printed as one line, exit status 2."""


def _int_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    return values


def _float_pair(text: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected two comma-separated numbers like 0,1, got {text!r}") from None
    return lo, hi


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pyneuron", description="Train small networks in C and record their trajectories.")
    p.add_argument("--version", action="version", version=f"pyneuron {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a network and save its trajectory (.npz)",
                       description="Train a network on a 1-D target or a 2-D dataset, record snapshots, save them.")
    t.add_argument("--layers", type=_int_list, default=[1, 2, 2, 1],
                   help="layer sizes, inputs first: 1,2,2,1 (default) is 1 input, two hidden layers of 2, 1 output")
    t.add_argument("--activation", default="sigmoid",
                   help=f"hidden activation, or one per hidden layer comma-separated: {', '.join(ACTIVATION_NAMES)}")
    t.add_argument("--alpha", type=float, default=None, help="leaky_relu slope (default 0.01) or elu alpha (1.0)")
    t.add_argument("--output-activation", default=None,
                   help="output activation (default: identity for --target, sigmoid for --dataset)")
    data = t.add_mutually_exclusive_group()
    data.add_argument("--target", default=None,
                      help='1-D target expression in x, e.g. "exp(-5*x)" (default), "sin(3*x)"')
    data.add_argument("--dataset", choices=sorted(datasets.CLASSIFICATION) + sorted(datasets.REGRESSION_2D),
                      help="a TensorFlow Playground dataset (2 inputs) instead of a 1-D target")
    data.add_argument("--data", metavar="FILE.csv", default=None,
                      help="your own data: a CSV file with a header row (see --target-column, --features)")
    t.add_argument("--regularization", choices=["l1", "l2"], default=None,
                   help="penalty on the weights, as TensorFlow Playground's (default: none)")
    t.add_argument("--regularization-rate", type=float, default=None,
                   help="its rate (default 0.001 with --regularization)")
    t.add_argument("--train-ratio", type=float, default=None,
                   help="train on this share of the samples (0..1, as Playground's ratio) and record the test "
                        "loss on the rest at every snapshot (default: train on all)")
    t.add_argument("--target-column", default=None, help="with --data: the column to predict (required)")
    t.add_argument("--features", type=lambda s: [c.strip() for c in s.split(",")], default=None,
                   help="with --data: the input columns, comma-separated (default: every other column)")
    t.add_argument("--input-features", type=lambda s: [c.strip() for c in s.split(",")], default=None,
                   metavar="F1,F2,...",
                   help="what the first layer reads, computed from the inputs as TensorFlow Playground's features: "
                        "x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2) (default: the inputs themselves; "
                        "--layers still starts with the input count)")
    t.add_argument("--n", type=int, default=None, help="number of points (default 256 for a target, 500 for a dataset)")
    t.add_argument("--x-range", type=_float_pair, default=(0.0, 1.0), help="x interval of a target (default 0,1)")
    t.add_argument("--noise", type=float, default=0.0, help="dataset noise in [0, 1] (default 0)")
    t.add_argument("--loss", choices=["mse", "bce", "cross_entropy"], default=None,
                   help="default: mse for a target or regression dataset, bce for a classification dataset")
    t.add_argument("--optimizer", choices=["adam", "sgd"], default="adam", help="default adam")
    t.add_argument("--lr", type=float, default=0.01, help="learning rate (default 0.01)")
    t.add_argument("--momentum", type=float, default=0.0, help="SGD momentum (default 0)")
    t.add_argument("--epochs", type=int, default=10_000, help="epochs to train (default 10000)")
    t.add_argument("--batch-size", type=int, default=None, help="minibatch size (default: full batch)")
    t.add_argument("--snapshots", type=int, default=300, help="snapshots to record (default 300)")
    t.add_argument("--schedule", choices=["log", "linear"], default="log",
                   help="spacing of the snapshots (default log: more frames early)")
    t.add_argument("--init", choices=INITS, default=None, help="weight initialisation (default suits the activation)")
    t.add_argument("--seed", type=int, default=0, help="seed of the initial weights and the shuffling (default 0)")
    t.add_argument("--dtype", choices=["float64", "float32"], default="float64", help="default float64")
    t.add_argument("--out", default=None, help="where to save the trajectory (.npz); default: nothing saved")
    bar = t.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None, help="show a progress bar")
    bar.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")

    r = sub.add_parser("render", help="render recorded runs (.npz) as a video (needs the video extra)",
                       description="Render one to four recorded runs side by side, with the scene their task calls "
                                   "for: 1-D fits, 2-D decision boundaries, or training dynamics (gradients).")
    r.add_argument("runs", nargs="+", metavar="RUN.npz", help="trajectories saved by train --out or Trajectory.save")
    r.add_argument("--scene", choices=["fit", "boundary", "gradients"], default=None,
                   help="default: fit for 1-input regression, boundary for 2-input classification, else gradients")
    quality = r.add_mutually_exclusive_group()
    quality.add_argument("--quality", choices=["l", "m", "h", "k"], default="m",
                         help="l 480p15, m 720p30 (default), h 1080p60, k 4K60")
    for flag in "lmhk":
        quality.add_argument(f"-q{flag}", dest="quality", action="store_const", const=flag,
                             help=f"--quality {flag}")
    r.add_argument("--format", choices=["mp4", "gif", "webm", "html"], default="mp4",
                   help="default mp4; html: an offline slide deck, one slide per caption (needs the slides extra)")
    r.add_argument("--out", default=None, help="output file (default: <scene>.<format>); subtitles go beside it")
    r.add_argument("--title", default=None, help="opening title (default: from the runs)")
    r.add_argument("--seconds", type=float, default=None, help="screen time of training, in seconds")

    s = sub.add_parser("slides", help="a scene file as an offline HTML slide deck (needs the slides extra)",
                       description="Render a manim scene file as slides, one per caption (the caption is the "
                                   "speaker note), in one HTML file that opens without a network.")
    s.add_argument("scene_file", help="a scene file, e.g. scenes/fit.py (its settings apply as when rendering)")
    s.add_argument("scene", nargs="?", help="the scene class (default: the file's only one)")
    s.add_argument("--out", default=None, help="the deck (default: <Scene>.html)")
    quality = s.add_mutually_exclusive_group()
    quality.add_argument("--quality", choices=["l", "m", "h", "k"], default="m", help="as for render")
    for flag in "lmhk":
        quality.add_argument(f"-q{flag}", dest="quality", action="store_const", const=flag, help=f"--quality {flag}")

    sub.add_parser("info", help="version, SIMD levels, build details")
    return p


def _train(args) -> int:
    if (args.target_column or args.features) and not args.data:
        raise CliError("--target-column and --features apply to --data FILE.csv")
    if args.data:
        if not args.target_column:
            raise CliError("--data needs --target-column, the name of the column to predict")
        loss = args.loss or "mse"
        task = {"bce": "binary", "cross_entropy": "multiclass"}.get(loss, "regression")
        x, y = datasets.from_csv(args.data, target=args.target_column, features=args.features, task=task)
        if args.layers[0] != x.shape[1]:
            raise CliError(f"--layers starts with {args.layers[0]} input(s), but {args.data} has {x.shape[1]} "
                           f"feature column(s); use --layers {x.shape[1]},...")
        data_text = f"{os.path.basename(args.data)} ({len(x)} rows)"
        target = None
    elif args.dataset:
        classify = args.dataset in datasets.CLASSIFICATION
        make = (datasets.CLASSIFICATION if classify else datasets.REGRESSION_2D)[args.dataset]
        x, y = make(n=args.n or 500, noise=args.noise, seed=args.seed)
        loss = args.loss or ("bce" if classify else "mse")
        data_text = f"{args.dataset} ({len(x)} points, noise {args.noise})"
        target = None
    else:
        target = args.target or "exp(-5*x)"
        x, y = datasets.function(target, n=args.n or 256, x_range=args.x_range)
        loss = args.loss or "mse"
        data_text = f"y = {target} on [{args.x_range[0]:g}, {args.x_range[1]:g}] ({len(x)} points)"
    output = args.output_activation or {"bce": "sigmoid", "cross_entropy": "softmax"}.get(loss, "identity")
    if loss == "cross_entropy":
        y = y.astype(np.int64).ravel()
    acts = args.activation.split(",")
    net = Network(args.layers, activation=acts if len(acts) > 1 else acts[0], output_activation=output,
                  init=args.init, seed=args.seed, dtype=np.dtype(args.dtype), alpha=args.alpha,
                  features=args.input_features)
    if args.lr <= 0:
        raise CliError(f"--lr must be positive, got {args.lr}")
    opt = Adam(lr=args.lr) if args.optimizer == "adam" else SGD(lr=args.lr, momentum=args.momentum)
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    # 1-D runs record a curve, 2-D runs the playground's square (a decision-boundary picture)
    # (your own data with more inputs: predictions on the data itself)
    grid = (np.linspace(x.min(), x.max(), 200) if x.shape[1] == 1 else
            datasets.plane_grid(64) if args.dataset else None)
    started = time.perf_counter()
    traj = net.fit(x, y, loss=loss, optimizer=opt, epochs=args.epochs, batch_size=args.batch_size,
                   seed=args.seed, snapshots=args.snapshots, schedule=args.schedule, grid=grid, progress=progress,
                   source=args.dataset or target, train_ratio=args.train_ratio,
                   regularization=args.regularization,
                   regularization_rate=(args.regularization_rate if args.regularization_rate is not None
                                        else 0.001 if args.regularization else 0.0))
    seconds = time.perf_counter() - started
    traj.config["data"]["description"] = data_text
    if args.data:
        traj.config["data"].update(file=os.path.abspath(args.data), target_column=args.target_column,
                                   features=args.features)
    if args.out:
        traj.save(args.out)
    epochs_run = traj.config["epochs_run"]
    first, last = (traj.loss[0], traj.loss[-1]) if len(traj) else (float("nan"),) * 2
    status = ("interrupted" if traj.partial else
              f"diverged at epoch {traj.diverged_at}" if traj.diverged_at is not None else "trained")
    saved = f" -> {args.out}" if args.out else ""
    test = (f", test {traj.test.loss[-1]:.4g} on {len(traj.test.x)} held out"
            if traj.test is not None and len(traj) else "")
    print(f"{status} {net.describe()} on {data_text}: {epochs_run} epochs in {seconds:.2f} s, "
          f"{loss} {first:.4g} -> {last:.4g}{test}, {len(traj)} snapshots{saved}")
    return 130 if traj.partial else (1 if traj.diverged_at is not None else 0)


def _slides(args) -> int:
    try:
        from .video import QUALITIES, scene_in_file
        from .video.slides import deck
    except ImportError as exc:
        raise CliError(f"slides need the video and slides extras (pip install 'pyneuron[video,slides]'): {exc}") \
            from None
    started = time.perf_counter()
    scene = scene_in_file(args.scene_file, args.scene)
    out = deck(scene, args.out or f"{scene.__name__}.html", quality=QUALITIES[args.quality],
               title=f"pyneuron: {scene.__name__}")
    print(f"rendered {scene.__name__} as slides in {time.perf_counter() - started:.0f} s -> {out}")
    return 0


def _render(args) -> int:
    try:
        from . import video
    except ImportError as exc:
        raise CliError(f"render needs the video extra (pip install 'pyneuron[video]'): {exc}") from None
    started = time.perf_counter()
    out = video.render(args.runs, scene=args.scene, quality=args.quality, format=args.format, out=args.out,
                       title=args.title, seconds=args.seconds)
    subtitles = f" (subtitles {out.subtitles})" if out.subtitles else ""
    print(f"rendered {len(args.runs)} run(s) in {time.perf_counter() - started:.0f} s -> {out.path}{subtitles}")
    return 0


def _info() -> int:
    build = ffi.string(lib.pn_build_info()).decode()
    print(f"pyneuron {__version__}")
    print(f"SIMD levels available: {', '.join(simd_levels())} (of {', '.join(LEVELS)})")
    print(f"SIMD level in use: {simd_level()}" + (f" (PYNEURON_SIMD={os.environ['PYNEURON_SIMD']})"
                                                  if os.environ.get("PYNEURON_SIMD") else ""))
    print(f"build: {build}")
    print(f"sanitizer build: {'yes (AddressSanitizer)' if lib.pn_build_sanitized() else 'no'}")
    print(f"numpy {np.__version__}; python {sys.version.split()[0]}")
    _print_accuracy()
    return 0


def _print_accuracy() -> None:
    acc = measured_accuracy()
    levels = acc["levels"]
    swept = "every finite float32" if acc["stride"] == 1 else f"every {acc['stride']}th finite float32"
    print(f"accuracy: max ulp error of the float32 kernels on normal outputs, over {swept} "
          f"({acc['inputs']:,} inputs; {acc['cpu']}, {acc['date']}; docs/accuracy.md):")
    labels = [case_label(row["name"], row["params"]) for row in acc["rows"]]
    width = max(map(len, labels))
    print(f"  {'':{width}}  bound  " + "  ".join(f"{lv:>8}" for lv in levels))
    for label, row in zip(labels, acc["rows"]):
        print(f"  {label:{width}}  {row['bound']:>5}  " + "  ".join(f"{row['max_ulp'][lv]:>8}" for lv in levels))


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)  # argparse itself prints usage + one error line, exit 2
    try:
        return {"train": _train, "render": _render, "slides": _slides, "info": lambda _: _info()}[args.command](args)
    except (CliError, ValueError, TypeError, OSError, ImportError) as exc:
        print(f"pyneuron: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pyneuron: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
