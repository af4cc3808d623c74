"""Explainer videos of recorded runs, with manim (the ``video`` extra).

The pieces every pyneuron video is made of, and the videos themselves:

- theme: colours, fonts, the names and formulas of activations;
- settings: scene settings from TOML files and ``PYNEURON_*`` variables,
  checked before anything renders;
- runs: loading, training and caching runs, replaying what a recorded
  network computed inside, the playhead from screen time to epochs;
- widgets and panels: captions (with subtitles), readouts, curves, network
  diagrams, loss charts, 1-D fits, decision-boundary heatmaps, gradient
  bars; for sweeps, fans of loss curves, loss histograms and loss
  landscapes (ensembles);
- stories: whole videos of any recorded runs (:class:`FitVideo`,
  :class:`BoundaryVideo`, :class:`DynamicsVideo`), and :func:`render`.

>>> from pyneuron import video                                  # doctest: +SKIP
>>> video.render(["a.npz", "b.npz"], quality="l", out="cmp.mp4")  # doctest: +SKIP
"""
from .ensembles import LandscapeMap, LossFan, LossHistogram, loss_colors, losses_at, plane_label, stuck
from .panels import (DEAD, LOGITS, BoundaryPanel, FitPanel, FitPlot, GradientBars, Heatmap, PlaygroundDiagram,
                     UnitGrid, field_colors, prediction_field, probability_to_unit, unit_values, units_off)
from .render import FORMATS, QUALITIES, Video, render, scene_in_file
from .runs import (HEADLINE, HEADLINE_RULES, Playhead, RunsError, build_identity, cache_dir, cached, epoch_and_loss,
                   finite_part, load_runs,
                   optimizer, replay, runs_from_environment, train_1d)
from .settings import SettingsError, load_settings, settings_or_exit
from .stories import SCENES, BoundaryVideo, DynamicsVideo, FitVideo, check_together, dead_caption, kink_inputs, scene_for
from .theme import (BACKGROUND, FONT, FORMULAS, LABELS, MONO, MUTED, NEGATIVE, POSITIVE, RUN_COLORS, TARGET, TEXT,
                    Label, label, run_colors, sci, superscript, text)
from .widgets import (Caption, GlyphReadout, LossChart, NetworkDiagram, VideoScene, clip_to_axes, follow_curve,
                      polyline, title_card, to_points, weight_scale)

__all__ = [
    "LandscapeMap", "LossFan", "LossHistogram", "loss_colors", "losses_at", "plane_label", "stuck",
    "BACKGROUND", "FONT", "FORMULAS", "LABELS", "MONO", "MUTED", "NEGATIVE", "POSITIVE", "RUN_COLORS", "TARGET", "TEXT",
    "Label", "label", "run_colors", "sci", "superscript", "text",
    "SettingsError", "load_settings", "settings_or_exit",
    "HEADLINE", "HEADLINE_RULES", "Playhead", "RunsError", "build_identity", "cache_dir", "cached", "epoch_and_loss",
    "finite_part", "load_runs",
    "optimizer", "replay", "runs_from_environment", "train_1d",
    "Caption", "GlyphReadout", "LossChart", "NetworkDiagram", "VideoScene", "clip_to_axes", "follow_curve",
    "polyline", "title_card", "to_points", "weight_scale",
    "DEAD", "LOGITS", "BoundaryPanel", "FitPanel", "FitPlot", "GradientBars", "Heatmap", "PlaygroundDiagram",
    "UnitGrid", "field_colors", "prediction_field", "probability_to_unit", "unit_values", "units_off",
    "SCENES", "BoundaryVideo", "DynamicsVideo", "FitVideo", "check_together", "dead_caption", "kink_inputs",
    "scene_for",
    "FORMATS", "QUALITIES", "Video", "render", "scene_in_file",
]
