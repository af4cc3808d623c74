"""Presenting in class: any video as an offline HTML slide deck (one slide
per caption, the caption its speaker note), from recorded runs or from a
scene file; the deck's notes are the video's subtitles."""
import base64
import io
import subprocess
import sys

import numpy as np
import pytest
from bs4 import BeautifulSoup

import pyneuron
from pyneuron import datasets, video


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "pyneuron", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def slides_of(path):
    """(speaker note, video bytes) of every slide of a deck."""
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    slides = []
    for section in soup.select("div.slides > section"):
        note = section.find("aside", class_="notes")
        source = section["data-background-video"]
        assert source.startswith("data:video/mp4;base64,"), "a slide's video is not inlined"
        slides.append((note.get_text() if note else None, base64.b64decode(source.split(",", 1)[1])))
    return soup, slides


def frames_in(movie: bytes) -> int:
    import av

    with av.open(io.BytesIO(movie)) as container:
        return sum(1 for _ in container.decode(video=0))


def test_a_deck_of_recorded_runs_has_a_slide_per_caption_and_runs_offline(tmp_path):
    x, y = datasets.function("sin(3*x)", n=64)
    run = pyneuron.Network([1, 4, 1], activation="tanh").fit(x, y, epochs=500, snapshots=30,
                                                             grid=np.linspace(0, 1, 80), source="sin(3*x)")
    deck = video.render([run], quality="l", format="html", seconds=2, out=tmp_path / "talk" / "deck.html")
    movie = video.render([run], quality="l", seconds=2, out=tmp_path / "talk" / "movie.mp4")
    assert deck.path == tmp_path / "talk" / "deck.html" and deck.subtitles is None
    soup, slides = slides_of(deck.path)
    import srt

    captions = [s.content for s in srt.parse(movie.subtitles.read_text())]
    assert len(captions) >= 4
    # the title, then one slide per caption, noted with it, in order
    assert [note for note, _ in slides] == [None, *captions]
    assert all(frames_in(movie) > 0 for _, movie in slides)
    # offline: nothing is fetched; reveal.js itself is in the page
    fetched = [t.get("src") or t.get("href") for t in soup.find_all(["script", "link"])]
    assert not [f for f in fetched if f], fetched
    scripts = " ".join(s.get_text() for s in soup.find_all("script"))
    assert "reveal.js 5" in scripts and "Reveal.initialize" in scripts
    assert "<iframe" in deck._repr_html_()


SCENE_FILE = '''
from manim import Circle, Create, Square, Transform
from pyneuron.video import Caption, VideoScene


class TwoSteps(VideoScene):
    def construct(self):
        caption = Caption(self)
        shape = Circle()
        self.play(Create(shape))
        caption.say("First, a circle.")
        self.play(Transform(shape, Square()))
        caption.say("Then it becomes a square.")
        self.wait(0.5)
'''


def test_pyneuron_slides_turns_a_scene_file_into_a_deck(tmp_path):
    (tmp_path / "steps.py").write_text(SCENE_FILE)
    done = cli("slides", "steps.py", "-ql", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("-> TwoSteps.html")
    _, slides = slides_of(tmp_path / "TwoSteps.html")
    assert [note for note, _ in slides] == [None, "First, a circle.", "Then it becomes a square."]


@pytest.mark.parametrize("args, message", [
    (["missing.py"], "missing.py: no such scene file"),
    (["two.py"], "two.py has 2 scenes (A, B): name one"),
    (["two.py", "C"], "two.py has no scene 'C'; it has A, B"),
    (["broken.py"], "broken.py, line 1: "),
])
def test_slides_errors_are_one_line(tmp_path, args, message):
    (tmp_path / "two.py").write_text("from manim import Scene\nclass A(Scene): pass\nclass B(Scene): pass\n")
    (tmp_path / "broken.py").write_text("class (:\n")
    done = cli("slides", *args, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr


def test_a_scene_files_bad_setting_stops_the_deck_in_one_line(tmp_path):
    from pathlib import Path

    scene = Path(__file__).resolve().parent.parent / "scenes" / "fit.py"
    done = subprocess.run([sys.executable, "-m", "pyneuron", "slides", str(scene), "-ql"], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120, env={**__import__("os").environ, "PYNEURON_EPOCHS": "-5"})
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "PYNEURON_EPOCHS=-5" in done.stderr
    assert not list(tmp_path.glob("*.html"))
