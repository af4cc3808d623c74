"""Running manim scenes under test: a structural dry run, and a real
low-quality render whose frames are decoded for checking.  Importing this
puts ``scenes/`` on the path, as ``manim scenes/<file>.py`` does."""
from __future__ import annotations

import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

SCENES = Path(__file__).resolve().parent.parent / "scenes"
sys.path.insert(0, str(SCENES))

from manim import VMobject, config, tempconfig  # noqa: E402  (a missing manim fails the run: no skip)

LOW_QUALITY = (854, 480)


def dry_run(scene_class, media_dir):
    """Build and play every animation without rendering a frame.  Whenever
    the picture is complete (before each animation, and at the end) the
    layout is checked; the scene comes back with ``layout_problems``: text
    or shapes outside the frame or reaching into the caption line, and
    captions too wide to show at full size."""
    from pyneuron.video import widgets

    problems, captions, say = [], [], widgets.Caption.say

    def measured_say(caption, message, *args, **kwargs):
        if widgets.text(message, caption.size).width > caption.WIDTH:
            problems.append(f"caption squeezed to fit: {message!r}")
        captions.append(caption)
        return say(caption, message, *args, **kwargs)

    class Checked(scene_class):
        def play(self, *args, **kwargs):
            problems.extend(layout_problems(self, captions[-1].current if captions else None))
            super().play(*args, **kwargs)

        def construct(self):
            super().construct()
            problems.extend(layout_problems(self, captions[-1].current if captions else None))

    Checked.__name__ = scene_class.__name__
    with tempconfig({"dry_run": True, "quality": "low_quality", "media_dir": str(media_dir)}), \
            mock.patch.object(widgets.Caption, "say", measured_say):
        scene = Checked()
        scene.render()
    scene.layout_problems = sorted(set(problems))
    return scene


def fresh_dry_run(scene_class, tmp_path_factory, **settings):
    """A dry run with a fresh trajectory cache and ``PYNEURON_<KEY>=value``
    settings, for a module-scoped fixture that several tests inspect."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYNEURON_CACHE", str(tmp_path_factory.mktemp("cache")))
        for key, value in settings.items():
            mp.setenv(f"PYNEURON_{key.upper()}", str(value))
        return dry_run(scene_class, tmp_path_factory.mktemp("media"))


def layout_problems(scene, caption) -> list[str]:
    """What on screen sticks out of the frame or into the caption's line."""
    half_w, half_h = config.frame_width / 2, config.frame_height / 2
    band_top = caption.get_top()[1] + 0.05 if caption is not None else -half_h
    problems = []
    for top in scene.mobjects:
        for m in top.get_family():
            if m is caption or caption is not None and m in caption.get_family():
                continue
            if not isinstance(m, VMobject) or not len(m.points) or m.get_fill_opacity() == 0 and \
                    m.get_stroke_opacity() == 0:
                continue
            left, right, upper, lower = m.get_left()[0], m.get_right()[0], m.get_top()[1], m.get_bottom()[1]
            name = type(m).__name__ + (f" {m.text!r}" if hasattr(m, "text") else "")
            if left < -half_w - 1e-6 or right > half_w + 1e-6 or upper > half_h + 1e-6 or lower < -half_h - 1e-6:
                problems.append(f"outside the frame: {name}")
            elif lower < band_top:
                problems.append(f"in the caption line: {name}")
    return problems


def render_frames(scene_class, media_dir) -> list[np.ndarray]:
    """Render at low quality and decode the movie: RGB frames (480, 854, 3)."""
    import av

    with tempconfig({"quality": "low_quality", "media_dir": str(media_dir), "disable_caching": True}):
        scene = scene_class()
        scene.render()
        movie = Path(scene.renderer.file_writer.movie_file_path)
    assert movie.exists()
    with av.open(str(movie)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == LOW_QUALITY
        return [f.to_ndarray(format="rgb24") for f in container.decode(stream)]


def assert_not_blank(frames, start_fraction: float = 0.2, samples: int = 6):
    """Frames sampled from start_fraction to the end all show something."""
    assert frames, "no frames rendered"
    for i in np.linspace(int(len(frames) * start_fraction), len(frames) - 1, samples).astype(int):
        assert frames[i].astype(float).std() > 10, f"frame {i} of {len(frames)} is blank"


def pixels_near(frame: np.ndarray, color: str, tolerance: int = 40) -> int:
    """How many pixels of frame are within tolerance (sum of |ΔRGB|) of color '#rrggbb'."""
    rgb = np.array([int(color[k:k + 2], 16) for k in (1, 3, 5)])
    return int((np.abs(frame.astype(int) - rgb).sum(axis=2) < tolerance).sum())
