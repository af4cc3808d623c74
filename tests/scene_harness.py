"""Running manim scenes under test: a structural dry run, and a real
low-quality render whose frames are decoded for checking.  Importing this
puts ``scenes/`` on the path, as ``manim scenes/<file>.py`` does."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

SCENES = Path(__file__).resolve().parent.parent / "scenes"
sys.path.insert(0, str(SCENES))

from manim import tempconfig  # noqa: E402  (a missing manim fails the run: no skip)

LOW_QUALITY = (854, 480)


def dry_run(scene_class, media_dir):
    """Build and play every animation without rendering a frame."""
    with tempconfig({"dry_run": True, "quality": "low_quality", "media_dir": str(media_dir)}):
        scene = scene_class()
        scene.render()
    return scene


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
