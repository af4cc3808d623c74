"""``pyneuron.video.render``: recorded runs in, a video file out -- the
engine behind ``pyneuron render``."""
from __future__ import annotations

import base64
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from manim import Scene, tempconfig

from .. import Trajectory
from .._files import write_atomically
from .runs import RunsError, finite_part, load_runs
from .stories import SCENES, check_together, scene_for

__all__ = ["render", "Video", "QUALITIES", "FORMATS", "scene_in_file"]

QUALITIES = {"l": "low_quality", "m": "medium_quality", "h": "high_quality", "k": "fourk_quality"}
FORMATS = ("mp4", "gif", "webm", "html")


class Video:
    """A rendered video: ``path`` (and ``subtitles``, the ``.srt`` beside
    it).  Shown in Jupyter, it plays inline."""

    def __init__(self, path: Path, subtitles: Path | None):
        self.path, self.subtitles = path, subtitles

    def __repr__(self) -> str:
        return f"<Video {self.path}>"

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.path.read_bytes()).decode()
        if self.path.suffix == ".html":  # a slide deck
            return f'<iframe src="data:text/html;base64,{data}" style="width:100%;aspect-ratio:16/9;border:0"></iframe>'
        if self.path.suffix == ".gif":
            return f'<img src="data:image/gif;base64,{data}" style="max-width:100%"/>'
        kind = "webm" if self.path.suffix == ".webm" else "mp4"
        return f'<video controls style="max-width:100%" src="data:video/{kind};base64,{data}"></video>'


def render(runs: Sequence[Trajectory | str | os.PathLike], scene: str | None = None, quality: str = "m",
           format: str = "mp4", out: str | os.PathLike | None = None, title: str | None = None,
           seconds: float | None = None) -> Video:
    """Render one to four recorded runs side by side, with the scene their
    task calls for, and return the :class:`Video`.

    - ``runs``: :class:`~pyneuron.Trajectory` objects or ``.npz`` paths.
    - ``scene``: ``"fit"`` (1-D regression), ``"boundary"`` (2-D binary
      classification) or ``"gradients"`` (any runs' gradient norms and
      dead or saturated units); default: the runs' task decides.
    - ``quality``: ``"l"`` 480p15, ``"m"`` 720p30, ``"h"`` 1080p60, ``"k"`` 4K60.
    - ``format``: ``"mp4"``, ``"gif"``, ``"webm"``, or ``"html"``: a slide
      deck (one slide per caption, the caption its speaker note) in one
      HTML file that runs offline (needs the ``slides`` extra).
    - ``out``: where to write it (default ``<scene>.<format>`` in the current
      directory); the subtitles go beside it as ``.srt``.  Written whole
      or not at all: the file appears only once complete.
    - ``title``: the opening title (default: from the runs).
    - ``seconds``: the screen time of training (default: the scene's).

    Runs that cannot share a scene raise ``RunsError`` (a ``ValueError``)
    saying why; so do unreadable files.
    """
    if quality not in QUALITIES:
        raise ValueError(f"render: quality must be one of {', '.join(QUALITIES)}, got {quality!r}")
    if format not in FORMATS:
        raise ValueError(f"render: format must be one of {', '.join(FORMATS)}, got {format!r}")
    if seconds is not None and not (isinstance(seconds, (int, float)) and 1 <= seconds <= 600):
        raise ValueError(f"render: seconds must be a number from 1 to 600, got {seconds!r}")
    paths = [r for r in runs if not isinstance(r, Trajectory)]
    trajs = load_runs(paths) if paths else []
    loaded = iter(trajs)
    trajs = [finite_part(r) if isinstance(r, Trajectory) else next(loaded) for r in runs]
    if not 1 <= len(trajs) <= 4:
        raise RunsError(f"render: expected one to four runs, got {len(trajs)}")
    for k, t in enumerate(trajs):
        if len(t) < 2:
            raise RunsError(f"render: run {k + 1} recorded {len(t)} snapshot(s); a video needs at least two")
    scene = scene or scene_for(trajs)
    if scene not in SCENES:
        raise ValueError(f"render: scene must be one of {', '.join(SCENES)}, got {scene!r}")
    base = SCENES[scene]
    check_together(trajs, base.task)
    attrs = {"runs": trajs, "title": title}
    if seconds is not None:
        attrs["train_seconds"] = float(seconds)
    cls = type(base.__name__, (base,), attrs)
    target = Path(out if out is not None else f"{scene}.{format}")
    if target.suffix.lower() != f".{format}":
        raise ValueError(f"render: --out {target} does not end in .{format} (the format)")
    if format == "html":
        from .slides import deck

        return Video(deck(cls, target, quality=QUALITIES[quality], title=title or f"pyneuron: {scene}"), None)
    with tempfile.TemporaryDirectory(prefix="pyneuron-render-") as media:
        with tempconfig({"quality": QUALITIES[quality], "format": format, "media_dir": media,
                         "disable_caching": True, "progress_bar": "none", "verbosity": "WARNING"}):
            instance = cls()
            instance.render()
            movie = Path(instance.renderer.file_writer.movie_file_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        subtitles = movie.with_suffix(".srt")
        srt = target.with_suffix(".srt") if subtitles.exists() else None
        _move_atomically(movie, target)
        if srt is not None:
            _move_atomically(subtitles, srt)
    return Video(target, srt)


def scene_in_file(path: str | os.PathLike, name: str | None = None) -> type[Scene]:
    """The scene class ``name`` -- by default the only one -- that the manim
    scene file ``path`` defines, loaded as ``manim`` loads it (its folder on
    the path, its settings checked)."""
    path = Path(path)
    if path.suffix != ".py" or not path.is_file():
        raise ValueError(f"{path}: no such scene file (a .py file of manim scenes)")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    folder = str(path.parent.resolve())
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise ValueError(f"{path}, line {exc.lineno}: {exc.msg}") from None
    finally:
        sys.path.remove(folder)
    scenes = {n: c for n, c in vars(module).items()
              if isinstance(c, type) and issubclass(c, Scene) and c.__module__ == module.__name__}
    if name is not None:
        if name not in scenes:
            raise ValueError(f"{path} has no scene {name!r}; it has {', '.join(sorted(scenes)) or 'none'}")
        return scenes[name]
    if len(scenes) != 1:
        raise ValueError(f"{path} has {len(scenes)} scenes ({', '.join(sorted(scenes)) or 'none'}): name one")
    return next(iter(scenes.values()))


def _move_atomically(source: Path, target: Path) -> None:
    """Copy beside the target, then rename over it: never a partial file under ``target``."""
    with open(source, "rb") as f:
        write_atomically(target, lambda out: shutil.copyfileobj(f, out), f".tmp-{target.name}-")
