"""Videos of recorded runs, for any run a user trained: the scene for its
task, with every label, formula and caption taken from the runs' metadata
(:class:`pyneuron.RunInfo`) and recorded statistics.

- :class:`FitVideo`: 1-D regression runs, prediction over the target.
- :class:`BoundaryVideo`: 2-D binary classifiers, decision boundaries.
- :class:`DynamicsVideo`: any runs' training dynamics -- per-layer
  gradient norms, dead or saturated units.

Each takes its runs from the class attribute ``runs`` (set by
:func:`pyneuron.video.render`), or from ``PYNEURON_RUNS``.
"""
from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Create, DashedVMobject, Dot, FadeIn, FadeOut, Indicate, ValueTracker, VGroup, linear

from .. import Trajectory
from .._expr import compile_expression
from ..features import label as feature_label
from ..trajectory import RunInfo
from ..datasets import EXTENT
from .panels import BoundaryPanel, FitPanel, GradientBars
from .runs import Playhead, RunsError, epoch_and_loss, runs_from_environment
from .theme import MUTED, NEGATIVE, POSITIVE, TARGET, TEXT, label, run_colors, sci, text
from .widgets import Caption, GlyphReadout, LossChart, VideoScene, polyline, title_card, weight_scale

__all__ = ["FitVideo", "BoundaryVideo", "DynamicsVideo", "SCENES", "scene_for", "check_together", "run_label",
           "pretty_target", "final_caption", "saturation_caption", "kink_inputs", "family_caption", "dead_caption", "share",
           "boundary_loss_caption", "colour_caption", "test_caption", "on_plane_grid", "boundary_length", "lowest_test_loss", "loss_text"]


# ------------------------------------------------------------ facts of runs

def run_label(traj: Trajectory) -> str:
    """'leaky ReLU', or with what tells runs of one activation apart added by the caller."""
    info = traj.info
    return label(info.activation, info.alphas[0] if info.alphas else None)


def run_labels(trajs: list[Trajectory]) -> list[str]:
    """A distinct label per run: the activation, plus the layers, the
    learning rate or the run number where activations coincide."""
    labels = [run_label(t) for t in trajs]
    if len(set(labels)) == len(labels):
        return labels
    infos = [t.info for t in trajs]
    for key, show in (("layers", lambda i: "-".join(map(str, i.layers))), ("lr", lambda i: f"lr {i.lr:g}"),
                      ("optimizer", lambda i: i.optimizer)):
        extra = [show(i) for i in infos]
        if len(set(zip(labels, extra))) == len(labels):
            return [f"{a}, {b}" for a, b in zip(labels, extra)]
    return [f"{a} (run {k + 1})" for k, a in enumerate(labels)]


def pretty_target(expr: str) -> str:
    """'exp(-5*x)' -> 'y = e^(−5x)': for reading, not for parsing."""
    import re

    s = re.sub(r"(\d)\*x", r"\1x", expr.replace(" ", "")).replace("**", "^").replace("*", "·")
    return "y = " + s.replace("exp(", "e^(").replace("-", "−")


def data_phrase(traj: Trajectory) -> str:
    info = traj.info
    if info.target:
        return pretty_target(info.target)
    if info.dataset:
        return f"the {info.dataset} data"
    return info.description


def family_caption(trajs: list[Trajectory], labels: list[str]) -> str:
    """What each run's units add to the fit, by the kind of activation."""
    kinds = {"sigmoid": "S-curves", "tanh": "S-curves", "relu": "kinked straight pieces",
             "leaky_relu": "kinked straight pieces", "identity": "only straight lines", "linear": "only straight lines",
             "elu": "smooth bends", "gelu": "smooth bends", "gelu_tanh": "smooth bends", "silu": "smooth bends",
             "softplus": "smooth bends"}
    if len(trajs) <= 2:
        parts = [f"{lab} units add {kinds.get(t.info.activation, 'their own shapes')}" for t, lab in zip(trajs, labels)]
        return "; ".join(parts) + "."
    by_kind: dict[str, list[str]] = {}
    for t, lab in zip(trajs, labels):  # short names: many runs share one line
        kind = kinds.get(t.info.activation, "their own shapes").replace("kinked straight pieces", "kinks")
        by_kind.setdefault(kind, []).append(lab)
    return "Units add " + ", ".join(f"{kind} ({', '.join(labs)})" for kind, labs in by_kind.items()) + "."


def where_diverged(runs) -> str:
    """'sigmoid 61, leaky ReLU 5': each diverged run and its epoch."""
    return ", ".join(f"{lab} {t.diverged_at:,}" for t, lab in runs)


def final_caption(trajs: list[Trajectory], labels: list[str]) -> str:
    """Who ended lowest, from the recorded final losses; a diverged run says so."""
    diverged = [(t, a) for t, a in zip(trajs, labels) if t.diverged_at is not None]
    if diverged:
        rest = [f"{a} reached {sci(t.loss[-1])}" for t, a in zip(trajs, labels) if t.diverged_at is None]
        return f"Diverged at epoch: {where_diverged(diverged)}" + (f"; {rest[0]}." if rest else ".")
    epochs = max(int(t.epochs[-1]) for t in trajs)
    losses = ", ".join(f"{a} {sci(t.loss[-1])}" for t, a in zip(trajs, labels))
    if len(trajs) == 1:
        return f"After {epochs:,} epochs the loss is {sci(trajs[0].loss[-1])}, from {sci(trajs[0].loss[0])} at the start."
    finals = [t.loss[-1] for t in trajs]
    best, worst = int(np.argmin(finals)), int(np.argmax(finals))
    if len(trajs) >= 3:
        return (f"After {epochs:,} epochs, {labels[best]} ends lowest ({sci(finals[best])}), "
                f"{labels[worst]} highest ({sci(finals[worst])}).")
    return f"After {epochs:,} epochs: {losses} — {labels[best]} ends lowest here."


def saturation_caption(traj: Trajectory, lab: str, u: float) -> str:
    """The vanishing-gradient caption, from the recorded statistics."""
    state = Playhead(traj).at(min(u, len(traj) - 1))
    first_layer, last_layer = state.grad_norms[0], state.grad_norms[-1]
    if traj.info.activation in ("sigmoid", "tanh") and last_layer > 0:
        saturated = float(traj.unit_stats[:, :-1, 1].max())
        r = first_layer / last_layer
        ratio_text = ratio(r)
        if r < 0.5:
            return f"Saturated {lab} units (≤ {saturated:.0%}) block gradient: layer 1 gets {ratio_text}× the last layer's."
        return f"Few {lab} units saturate (≤ {saturated:.0%}): layer 1 gets {ratio_text}× the last layer's gradient."
    return f"{lab}: gradient norm of layer 1 {sci(first_layer)}, of the last layer {sci(last_layer)}."


def kink_inputs(traj: Trajectory, x_grid: np.ndarray) -> list[float]:
    """Inputs where some hidden ReLU-type unit switches on or off and the
    fit visibly bends there: the kinks of a piecewise-linear fit (found on
    the grid; a switch that the layers above ignore is no kink)."""
    from .runs import replay

    params = traj.at(traj.epochs[-1]).params
    layers = replay(traj, params, x_grid.reshape(-1, 1))
    fit = layers[-1][1][:, 0]
    slope = np.diff(fit) / np.diff(x_grid)
    bend = 1e-3 * max(np.ptp(fit), 1e-12) / max(np.ptp(x_grid), 1e-12)
    kinks = set()
    for z, _ in layers[:-1]:
        for row in np.nonzero(np.diff(np.sign(z), axis=0))[0]:
            before, after = slope[max(row - 1, 0)], slope[min(row + 1, len(slope) - 1)]
            if abs(after - before) > bend:
                kinks.add(float(x_grid[row] + x_grid[row + 1]) / 2)
    return sorted(kinks)


def dead_caption(traj: Trajectory, lab: str) -> str | None:
    """For a run whose fit ends flat because a whole hidden layer died,
    the sentence that says so (from the recorded dead fractions)."""
    dead = traj.unit_stats[-1, :-1, 0]
    layer = int(np.argmax(dead))
    if traj.info.activation != "relu" or dead.size == 0 or dead[layer] < 1.0:
        return None
    return f"Every {lab} unit in hidden layer {layer + 1} is dead: no gradient flows, the fit stays constant."


def check_together(trajs: list[Trajectory], task: str) -> None:
    """Runs that cannot share the scene for ``task`` are a RunsError saying why."""
    if not 1 <= len(trajs) <= 4:
        raise RunsError(f"a video shows one to four runs, got {len(trajs)}")
    infos = [t.info for t in trajs]
    if task == "fit":
        bad = [k for k, i in enumerate(infos) if i.task != "regression" or i.inputs != 1 or i.outputs != 1]
        if bad:
            i = infos[bad[0]]
            raise RunsError(f"run {bad[0] + 1} is a {i.inputs}-input {i.task} run; the fit scene shows "
                            "1-input, 1-output regression runs")
        grids = {(t.grid.shape, float(t.grid.min()), float(t.grid.max())) for t in trajs}
        if len(grids) > 1:
            raise RunsError("the runs recorded their predictions on different x grids; a fit video compares "
                            "runs over one grid (train them on the same x range)")
    elif task == "boundary":
        bad = [k for k, i in enumerate(infos) if i.task not in ("binary", "regression") or i.inputs != 2
               or i.outputs != 1]
        if bad:
            i = infos[bad[0]]
            raise RunsError(f"run {bad[0] + 1} is a {i.inputs}-input {i.task} run; the boundary scene shows "
                            "2-input binary classifiers (loss bce) or 2-input, 1-output regressions")
        if len({i.task for i in infos}) > 1:
            raise RunsError("the runs mix classifiers and regressions; a boundary video shows runs of one task")
        for k, t in enumerate(trajs):
            if not on_plane_grid(t):
                raise RunsError(f"run {k + 1} recorded its predictions on {t.grid.shape[0]} points, not on a "
                                "square grid over the plane: train it with grid=pyneuron.datasets.plane_grid()")
        if len({t.grid.shape for t in trajs}) > 1:
            raise RunsError("the runs recorded their boundaries on grids of different sizes")
    # one clock for all: the snapshot epochs agree, and only a run that
    # stopped early (diverged or interrupted) may have fewer of them
    shortest, longest = min(map(len, trajs)), max(map(len, trajs))
    stopped_early = all(len(t) == longest or t.diverged_at is not None or t.partial for t in trajs)
    if len({tuple(t.epochs[:shortest - 1]) for t in trajs}) > 1 or not stopped_early:
        raise RunsError("the runs recorded snapshots at different epochs; a video plays them on one clock "
                        "(train them with the same epochs, snapshots and schedule)")


def _leader(trajs: list[Trajectory]) -> Playhead:
    """The playhead of the longest run: the shared clock (a diverged run stops early)."""
    return Playhead(max(trajs, key=len))


class _RunsVideo(VideoScene):
    """A scene of recorded runs: ``runs`` (or ``PYNEURON_RUNS``), a title
    (default from the runs), ``train_seconds`` of training on screen."""

    runs: list[Trajectory] | None = None
    title: str | None = None
    train_seconds: float = 32.0
    task = ""

    def get_runs(self) -> list[Trajectory]:
        runs = self.runs if self.runs is not None else runs_from_environment()
        if runs is None:
            raise RunsError(f"{type(self).__name__}: no runs given (set PYNEURON_RUNS=a.npz,b.npz)")
        check_together(runs, self.task)
        return runs

    def begin(self) -> tuple[list[Trajectory], list[str], list[str], ValueTracker]:
        """What every story starts from: its runs (kept as ``trajectories``,
        for tests), their labels and colours, and the playhead's tracker."""
        trajs = self.get_runs()
        self.trajectories = trajs
        return trajs, run_labels(trajs), run_colors([t.info.activation for t in trajs]), ValueTracker(0.0)

    def sweep(self, tracker: ValueTracker, lead: Playhead, to_epoch: float, seconds: float):
        u = lead.index_of_epoch(min(to_epoch, lead.traj.epochs[-1]))
        self.play(tracker.animate.set_value(u), run_time=max(seconds, 0.5), rate_func=linear)


class FitVideo(_RunsVideo):
    """One to four 1-D regression runs side by side: each panel's prediction
    over the target (or the training data), its network's weights, its
    epoch and loss; the losses together below; captions from the runs."""

    task = "fit"

    def construct(self):
        trajs, labels, colors, tracker = self.begin()
        n = len(trajs)
        grid = trajs[0].grid[:, 0]
        y_lo, y_hi = self.y_range(trajs)
        x_range = (float(grid.min()), float(grid.max()))
        w_max = max(weight_scale(t) for t in trajs)  # one scale for all: edge widths compare
        spacing = 7.1 if n <= 2 else 13.8 / n  # the frame is 14.2 wide; axes numbers need about 0.5 on the left
        width = min(5.6, spacing - 1.5)
        centers = [RIGHT * ((k - (n - 1) / 2) * spacing + 0.2 * (n > 2)) + UP * (1.25 if n <= 2 else 1.1) for k in range(n)]
        panels = [FitPanel(t, tracker, x_range, (y_lo, y_hi), c, w_max, col, width=width,
                           height=2.9 if n <= 2 else 2.5, title_size=30 if n <= 2 else 22)
                  for t, c, col in zip(trajs, centers, colors)]
        self.panels = panels
        chart = LossChart(trajs, tracker, colors=colors).move_to(DOWN * 2.2)
        show_diagrams = n <= 2
        for panel, side in zip(panels, (LEFT, RIGHT)):
            panel.diagram.move_to(side * 5.0 + DOWN * 2.3)

        # ---- title, on screen from the first frame
        info = trajs[0].info
        layers = {"-".join(map(str, t.info.layers)) for t in trajs}
        net = f"a {layers.pop()} network" if len(layers) == 1 else "networks"
        title = self.title or ("  vs  ".join(labels) if n > 1 else f"{labels[0]} units")
        verb = "learns" if net.startswith("a ") else "learn"
        title_card(self, title, f"{net} {verb} {data_phrase(trajs[0])}")

        # ---- the setting
        caption = Caption(self)
        self.play(*[FadeIn(p) for p in panels], run_time=1.2)
        caption.say(setting_caption(trajs))
        extras = [FadeIn(chart)]
        if show_diagrams:
            diagrams = [p.diagram for p in panels]
            weights = VGroup(*[text("weights  + blue  − orange", 14, MUTED,
                                    t2c={"+ blue": POSITIVE, "− orange": NEGATIVE}).next_to(d, UP, buff=0.15)
                               for d in diagrams])
            extras += [FadeIn(d) for d in diagrams] + [FadeIn(weights)]
        legend = VGroup(DashedVMobject(polyline(np.array([[0, 0, 0], [0.5, 0, 0]]), TARGET, 3), num_dashes=4),
                        text(f"target {pretty_target(info.target)}" if info.target else "training data", 16, MUTED)
                        ).arrange(RIGHT, buff=0.15)
        if n <= 2:
            legend.next_to(panels[0].axes, UP, buff=0.02).align_to(panels[0].axes, RIGHT).shift(DOWN * 0.25)
        else:  # narrow panels leave no room above the curves; there are no diagrams beside the chart
            legend.next_to(chart, LEFT, buff=0.6)
        self.play(*extras, FadeIn(legend), run_time=1.2)
        self.wait(1.5)
        self.play(*[Create(p.curve) for p in panels], *[FadeIn(p.readout) for p in panels],
                  *[Create(c) for c in chart.curves], run_time=1.0)
        self.add(*[p.curve for p in panels], *[p.readout for p in panels], *chart.curves)
        caption.say(start_caption(trajs))
        self.wait(2.0)

        # ---- training, in log time, with what the recording supports
        lead = _leader(trajs)
        E, total = lead.traj.epochs[-1], self.train_seconds
        diverged = [(t, a) for t, a in zip(trajs, labels) if t.diverged_at is not None]
        if diverged:  # the story of these runs is the divergence, not the shapes of the fits
            caption.say(f"Too large a step: the loss blows up (epoch {where_diverged(diverged)}).")
            self.sweep(tracker, lead, E, total)
        else:
            caption.say(progress_caption(trajs, labels, E * 0.01))
            self.sweep(tracker, lead, E * 0.01, total * 0.25)
            caption.say(family_caption(trajs, labels))
            self.sweep(tracker, lead, E * 0.1, total * 0.3)
            caption.say(saturation_caption(trajs[0], labels[0], tracker.get_value()))
            self.sweep(tracker, lead, E * 0.5, total * 0.25)
            caption.say(progress_caption(trajs, labels, E))
            self.sweep(tracker, lead, E, total * 0.2)
        tracker.set_value(len(lead.traj) - 1)

        # ---- the end state: kinks of piecewise-linear fits, final losses
        for panel, traj, lab in zip(panels, trajs, labels):
            if traj.info.activation not in ("relu", "leaky_relu") or traj.diverged_at is not None:
                continue
            xs = kink_inputs(traj, grid)
            final = traj.predictions[-1][:, 0]
            dots = VGroup(*[Dot(panel.axes.c2p(x, float(np.clip(np.interp(x, grid, final), y_lo, y_hi))),
                                radius=0.07, color=TEXT) for x in xs])
            if len(dots):
                caption.say(f"The {lab} fit is piecewise linear: its kinks are where hidden units switch.")
                self.play(FadeIn(dots, scale=1.5), run_time=0.8)
                self.play(Indicate(dots, color=panel.color), run_time=1.2)
                break
        for traj, lab in zip(trajs, labels):
            if traj.diverged_at is None and (sentence := dead_caption(traj, lab)):
                caption.say(sentence)
                self.wait(3.0)
        caption.say(final_caption(trajs, labels))
        self.wait(4.0)

    @staticmethod
    def y_range(trajs: list[Trajectory]) -> tuple[float, float]:
        """The y range of the target (or data), widened to the predictions'
        1st..99th percentiles but never past one span of the target: a
        diverging prediction is clipped, not allowed to squash the rest."""
        grid = trajs[0].grid[:, 0]
        info = trajs[0].info
        if info.target:
            target = compile_expression(info.target)(grid)
        elif trajs[0].data_y is not None:
            target = np.asarray(trajs[0].data_y, float).ravel()
        else:
            target = trajs[0].predictions[-1].ravel()
        target = target[np.isfinite(target)]
        preds = np.concatenate([t.predictions.ravel() for t in trajs])
        preds = preds[np.isfinite(preds)]
        lo, hi = float(target.min()), float(target.max())
        span = hi - lo or 1.0
        if preds.size:
            lo, hi = min(lo, max(np.percentile(preds, 1), lo - span)), max(hi, min(np.percentile(preds, 99), hi + span))
        step = 0.5 if hi - lo <= 4 else 10 ** np.floor(np.log10(hi - lo))
        return float(np.floor(lo / step) * step), float(np.ceil(hi / step) * step)


def setting_caption(trajs: list[Trajectory]) -> str:
    """What the runs share and what differs, read from their metadata."""
    if len(trajs) == 1:
        i = trajs[0].info
        return f"{i.optimizer.capitalize()} at lr {i.lr:g} on {i.loss.upper()}, {i.epochs:,} epochs{extras(i)}."
    infos = [t.info for t in trajs]
    cfgs = [t.config.get("network", {}) for t in trajs]
    same_net = len({i.layers for i in infos}) == 1
    same_data = len({(i.target, i.dataset, i.description) for i in infos}) == 1
    same_start = len({(c.get("init"), c.get("seed")) for c in cfgs}) == 1 and same_net
    same_training = len({(i.optimizer, i.lr, i.loss, i.epochs) for i in infos}) == 1
    same_activation = len({(i.activations, i.alphas) for i in infos}) == 1
    same_features = len({i.features for i in infos}) == 1
    same_penalty = len({(i.regularization, i.regularization_rate) for i in infos}) == 1
    differs = [what for what, same in (("the hidden activation", same_activation), ("the network", same_net),
                                       ("the input features", same_features),
                                       ("the regularisation", same_penalty), ("the data", same_data),
                                       ("the starting weights", same_start), ("the training", same_training))
               if not same]
    if differs == ["the hidden activation"]:
        return "Same network, same data, same starting weights: only the hidden activation differs."
    if not differs:
        return "Same network, data, starting weights and training: the runs differ in nothing recorded."
    return f"The runs differ in {', '.join(differs[:-1]) + ' and ' if len(differs) > 1 else ''}{differs[-1]}."


def start_caption(trajs: list[Trajectory]) -> str:
    """Epoch 0, as recorded: a flat or a shaped initial prediction."""
    flat = all(np.ptp(t.predictions[0]) < 0.1 * max(np.ptp(t.predictions[-1]), 1e-12) for t in trajs)
    return ("Epoch 0: random weights, an almost flat prediction." if flat
            else "Epoch 0: random weights, a random curve.")


def share(fraction: float) -> str:
    """A fraction as a percentage with the digits it needs: '16%', '0.4%',
    '0.0006%' -- never '0%' for a loss that has fallen a millionfold."""
    percent = 100 * fraction
    if percent >= 1 or percent == 0:
        return f"{percent:.0f}%"
    return f"{percent:.1g}%" if percent >= 1e-4 else f"{sci(fraction)} of it"


def ratio(r: float) -> str:
    """'1.7', '0.04', '3.2·10⁻⁶': plain digits where they read better."""
    if r == 0:
        return "0"
    return f"{r:.2g}" if 0.01 <= abs(r) < 1000 else sci(r)


def extras(info: RunInfo) -> str:
    """', on features x₁², x₂², L2 penalty at rate 0.003': what a run adds to plain training."""
    parts = []
    if info.features:
        parts.append("on features " + ", ".join(feature_label(f) for f in info.features))
    if info.regularization:
        parts.append(f"{info.regularization.upper()} penalty at rate {info.regularization_rate:g}")
    return "".join(", " + p for p in parts)


def progress_caption(trajs: list[Trajectory], labels: list[str], epoch: float) -> str:
    """Each run's loss at ``epoch`` as a share of its start (for three or
    more runs, the furthest and the least fallen, so that it fits a line)."""
    shares = []
    for t in trajs:
        loss = t.at(min(epoch, t.epochs[-1])).loss
        shares.append(loss / t.loss[0] if t.loss[0] > 0 else np.nan)
    when = f"By epoch {int(round(epoch)):,}"
    if len(trajs) >= 3 and np.isfinite(shares).all():
        best, worst = int(np.argmin(shares)), int(np.argmax(shares))
        return (f"{when}, {labels[best]}'s loss fell furthest (to {share(shares[best])} of its start), "
                f"{labels[worst]}'s least ({share(shares[worst])}).")
    parts = [f"{lab} {share(f)}" if np.isfinite(f) else f"{lab} {sci(t.loss[-1])}"
             for t, lab, f in zip(trajs, labels, shares)]
    return f"{when}, the loss is at " + ", ".join(parts) + " of its start."


class BoundaryVideo(_RunsVideo):
    """One to four 2-D classifiers side by side: each run's decision
    boundary as a heatmap over the plane with its training data, its
    epoch and loss, its loss curve; captions from the runs."""

    task = "boundary"
    train_seconds = 14.0

    def construct(self):
        trajs, labels, colors, tracker = self.begin()
        n = len(trajs)
        side = 4.3 if n == 1 else 3.5 if n <= 3 else 2.8
        gap = side + (1.2 if n <= 3 else 0.5)
        slots = [RIGHT * ((k - (n - 1) / 2) * gap) + UP * (0.7 if n == 1 else 1.05) for k in range(n)]
        layers = {"-".join(map(str, t.info.layers)) for t in trajs}
        regression = trajs[0].info.task == "regression"
        kind = "regression net" if regression else "classifier"
        net = f"a {layers.pop()} {kind}" if len(layers) == 1 else f"{kind}s"
        title_card(self, self.title or ("  vs  ".join(labels) if n > 1 else f"{labels[0]} units"),
                   f"{net} on {data_phrase(trajs[0])}, as in TensorFlow Playground")
        caption = Caption(self)
        panels = [BoundaryPanel(t, lab, data_phrase(t), None, col, tracker, side=side).place(slot)
                  for t, lab, col, slot in zip(trajs, labels, colors, slots)]
        self.panels = panels
        self.play(*[FadeIn(p) for p in panels], run_time=1.2)
        caption.say(colour_caption(regression))
        self.wait(2.0)
        caption.say(setting_caption(trajs))
        lead = _leader(trajs)
        E = lead.traj.epochs[-1]
        self.sweep(tracker, lead, E * 0.05, self.train_seconds * 0.4)
        caption.say(progress_caption(trajs, labels, E * 0.05))
        self.sweep(tracker, lead, E, self.train_seconds * 0.6)
        tracker.set_value(len(lead.traj) - 1)
        caption.say(boundary_loss_caption(trajs, labels))
        self.wait(3.0)
        accuracy = [None if regression else boundary_accuracy(t) for t in trajs]
        if all(a is not None for a in accuracy):
            caption.say("Training accuracy: " + ",  ".join(f"{lab} {a:.0%}" for lab, a in zip(labels, accuracy)) + ".")
            self.wait(3.0)
        if all(t.test is not None for t in trajs):
            caption.say(test_caption(trajs, labels))
            self.wait(3.0)


def colour_caption(regression: bool) -> str:
    """What the colours of a map over the plane mean."""
    if regression:
        return "Colour: the predicted value over the plane, blue above 0, orange below; dots: the data."
    return "Colour: the prediction everywhere in the plane, blue for one class, orange for the other."


def boundary_loss_caption(trajs: list[Trajectory], labels: list[str]) -> str:
    """The final losses against a constant guess's: ln 2 for balanced
    classes; for a regression, the mean's (the targets' variance)."""
    finals = [t.loss[-1] for t in trajs]
    if len(trajs) >= 3:
        best, worst = int(np.argmin(finals)), int(np.argmax(finals))
        losses = f"{loss_text(finals[best])} ({labels[best]}) to {loss_text(finals[worst])} ({labels[worst]})"
    else:
        losses = ",  ".join(f"{lab} {loss_text(f)}" for f, lab in zip(finals, labels))
    if trajs[0].info.task == "regression" and trajs[0].data_y is not None:
        return f"Final losses {losses};  always guessing the mean: {loss_text(float(np.var(trajs[0].data_y)))}."
    return f"Final losses {losses};  a 50 % guess: ln 2 ≈ 0.693."


def loss_text(loss: float) -> str:
    """'0.158', or '1.1·10⁻⁵' where three decimals would say 0.000."""
    return f"{loss:.3f}" if loss >= 1e-3 or loss == 0 else sci(loss)


def test_caption(trajs: list[Trajectory], labels: list[str]) -> str:
    """How the runs did on their held-out (outlined) points, as recorded."""
    parts = ",  ".join(f"{lab} loss {loss_text(t.test.loss[-1])}" if t.test.accuracy is None else
                       f"{lab} {t.test.accuracy[-1]:.0%} (loss {loss_text(t.test.loss[-1])})" for t, lab in zip(trajs, labels))
    return f"On the outlined test points, never trained on: {parts}."


def boundary_length(traj: Trajectory, index: int = -1) -> int:
    """How long snapshot ``index``'s decision boundary is, in grid steps:
    the neighbouring grid points (across and down) predicted as different
    classes.  A boundary that winds around single points is long."""
    res = int(round(np.sqrt(traj.grid.shape[0])))
    blue = traj.predictions[index][:, 0].reshape(res, res) > 0.5
    return int((blue[1:] != blue[:-1]).sum() + (blue[:, 1:] != blue[:, :-1]).sum())


def lowest_test_loss(traj: Trajectory) -> tuple[int, float, float]:
    """(epoch, test loss) where the recorded test loss was lowest, and the
    final test loss: a final loss well above the lowest is overfitting."""
    k = int(np.nanargmin(traj.test.loss))
    return int(traj.epochs[k]), float(traj.test.loss[k]), float(traj.test.loss[-1])


def boundary_accuracy(traj: Trajectory) -> float | None:
    """The final network's accuracy on its training data, if recorded."""
    if traj.data_x is None:
        return None
    from .runs import replay

    p = replay(traj, traj.at(traj.epochs[-1]).params, traj.data_x)[-1][1][:, 0]
    return float(np.mean((p > 0.5) == (np.asarray(traj.data_y).reshape(len(p), -1)[:, 0] > 0.5)))


class DynamicsVideo(_RunsVideo):
    """Any one to four runs' training dynamics: each layer's recorded
    gradient norm as a bar on a shared log scale, the share of dead and
    saturated units and the loss, following training."""

    task = "dynamics"
    train_seconds = 20.0

    def construct(self):
        trajs, labels, colors, tracker = self.begin()
        n = len(trajs)
        norms = np.concatenate([t.grad_norms[t.grad_norms > 0] for t in trajs])
        logs = np.log10(norms) if norms.size else np.array([-8.0, 0.0])
        log_range = (float(np.floor(np.percentile(logs, 1))), float(np.ceil(logs.max())))
        if log_range[1] <= log_range[0]:
            log_range = (log_range[0], log_range[0] + 1)
        width = min(5.4, 12.6 / n - 0.8)
        panels = []
        for k, (traj, lab, color) in enumerate(zip(trajs, labels, colors)):
            x = (k - (n - 1) / 2) * (width + 1.2) if n > 1 else 0.0
            bars = GradientBars(traj, tracker, log_range, color, width=width, height=2.6).move_to(RIGHT * x + UP * 0.5)
            header = VGroup(text(lab, 26 if n <= 2 else 20, color), text("gradient norm per layer", 15, MUTED)) \
                .arrange(DOWN, buff=0.1).next_to(bars, UP, buff=0.25)
            head = Playhead(traj)
            readout = GlyphReadout(15, TEXT).follow(
                lambda h=head, t=traj: unit_state(t, h.at(min(tracker.get_value(), len(t) - 1))),
                lambda g, b=bars: g.next_to(b, DOWN, buff=0.2))
            loss = GlyphReadout(15, TEXT).follow(
                lambda h=head, t=traj: epoch_and_loss(h.at(min(tracker.get_value(), len(t) - 1))),
                lambda g, r=readout: g.next_to(r, DOWN, buff=0.12))
            panels.append(VGroup(header, bars, readout, loss))
        self.panels = panels
        layers = {"-".join(map(str, t.info.layers)) for t in trajs}
        title_card(self, self.title or "Training dynamics",
                   f"{' vs '.join(labels)}: what the gradient does on its way back" if n > 1
                   else f"a {layers.pop()} {labels[0]} network: what the gradient does on its way back")
        caption = Caption(self)
        self.play(*[FadeIn(p) for p in panels], run_time=1.2)
        caption.say("Bars: each layer's recorded gradient norm, on one log scale for all runs.")
        self.wait(2.0)
        caption.say(gradient_ratio_caption(trajs, labels, 0))
        self.wait(3.0)
        lead = _leader(trajs)
        E = lead.traj.epochs[-1]
        caption.say("Training: watch which bars move.")
        self.sweep(tracker, lead, E * 0.05, self.train_seconds * 0.4)
        self.sweep(tracker, lead, E, self.train_seconds * 0.6)
        tracker.set_value(len(lead.traj) - 1)
        caption.say(gradient_ratio_caption(trajs, labels, -1))
        self.wait(3.0)
        caption.say(final_caption(trajs, labels))
        self.wait(3.0)


def unit_state(traj: Trajectory, state) -> str:
    """'dead 12%  saturated 0%' over the hidden layers, as recorded."""
    stats = state.unit_stats[:-1] if len(state.unit_stats) > 1 else state.unit_stats
    sizes = np.array(traj.sizes[1:len(stats) + 1], float)
    dead, saturated = (float((stats[:, k] * sizes).sum() / sizes.sum()) for k in (0, 1))
    return f"dead {dead:>4.0%}   saturated {saturated:>4.0%}"


def gradient_ratio_caption(trajs: list[Trajectory], labels: list[str], snapshot: int) -> str:
    """How much of the last layer's gradient reaches the first, per run."""
    shares = [t.grad_norms[snapshot][0] / t.grad_norms[snapshot][-1] if t.grad_norms[snapshot][-1] > 0 else np.nan
              for t in trajs]
    when = "At the start" if snapshot == 0 else "At the end"
    if len(trajs) >= 3 and np.isfinite(shares).all():
        lo, hi = int(np.argmin(shares)), int(np.argmax(shares))
        return (f"{when}, layer 1 gets {ratio(shares[lo])}× ({labels[lo]}) to {ratio(shares[hi])}× ({labels[hi]}) "
                "of the last layer's gradient.")
    parts = [f"{lab} {ratio(f)}" if np.isfinite(f) else f"{lab} no gradient" for f, lab in zip(shares, labels)]
    return f"{when}, layer 1 gets this share of the last layer's gradient: " + ", ".join(parts) + "."


SCENES = {"fit": FitVideo, "boundary": BoundaryVideo, "gradients": DynamicsVideo}


def on_plane_grid(traj: Trajectory) -> bool:
    """Did the run record its predictions on a square grid over the plane
    (datasets.plane_grid), as the boundary scene draws them?"""
    res = int(round(np.sqrt(traj.grid.shape[0])))
    return res * res == traj.grid.shape[0] and res >= 2 and bool(np.allclose(np.abs(traj.grid).max(), EXTENT))


def scene_for(trajs: list[Trajectory]) -> str:
    """The scene a task calls for: 'fit' for 1-input regression, 'boundary'
    for 2-input binary classification and 2-input regression recorded on
    the plane, else 'gradients' (any run)."""
    infos = [t.info for t in trajs]
    if all(i.task == "regression" and i.inputs == 1 and i.outputs == 1 for i in infos):
        return "fit"
    if all(i.task == "binary" and i.inputs == 2 for i in infos):
        return "boundary"
    if all(i.task == "regression" and i.inputs == 2 and i.outputs == 1 and on_plane_grid(t)
           for i, t in zip(infos, trajs)):
        return "boundary"  # the predicted value as a map over the plane
    tasks = dict.fromkeys(f"{i.inputs}-input {i.task}" for i in infos)  # in the runs' order
    if len(tasks) > 1:
        raise RunsError("the runs are of different tasks (" + ", ".join(tasks) +
                        "): a video shows runs of one task; pick runs alike, or --scene gradients")
    return "gradients"
