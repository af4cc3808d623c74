"""Slide decks for presenting in class: any pyneuron video as a
manim-slides presentation, one slide per caption (the caption is the
slide's speaker note), exported as one HTML file that runs offline.

Needs the ``slides`` extra (``pip install 'pyneuron[slides]'``):
manim-slides, and sphinx-revealjs only for the copy of reveal.js it ships
-- the deck inlines reveal.js, so it opens without a network.
"""
from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from manim import Scene, tempconfig

from .._files import write_atomically

__all__ = ["deck", "slide_class", "reveal_js_root"]

#: The assets' placeholder address in the converter's HTML, replaced by the files themselves.
_PLACEHOLDER = "pyneuron-reveal-js"


def _manim_slides() -> Any:
    try:
        import manim_slides
    except ImportError:
        raise ImportError("slide decks need manim-slides: pip install 'pyneuron[slides]'") from None
    return manim_slides


def reveal_js_root() -> Path:
    """The reveal.js distribution to inline: the copy sphinx-revealjs ships."""
    try:
        import sphinx_revealjs
    except ImportError:
        raise ImportError("an offline deck needs reveal.js, shipped by sphinx-revealjs: "
                          "pip install 'pyneuron[slides]'") from None
    root = Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs"
    if not (root / "dist" / "reveal.js").is_file():
        raise ImportError(f"no reveal.js under {root}: this sphinx-revealjs does not ship it")
    return root


def slide_class(scene_class: type[Scene]) -> type[Scene]:
    """``scene_class`` as a manim-slides ``Slide``: every caption it says
    starts a new slide (see :meth:`Caption.say`)."""
    slides = _manim_slides()
    from manim_slides.slide.base import BaseSlide

    # Slide's own __init__ and render adjust two manim settings that manim
    # 0.22 removed or refuses (write_to_movie, an infinite max_files_cached);
    # with caching off neither matters, so go round them.
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        BaseSlide.__init__(self, *args, **kwargs)

    def render(self: Any, *args: Any, **kwargs: Any) -> None:
        Scene.render(self, *args, **kwargs)
        self._save_slides(use_cache=False, flush_cache=False, skip_reversing=True)

    return type(scene_class.__name__, (slides.Slide, scene_class), {"__init__": __init__, "render": render})


def deck(scene_class: type[Scene], out: str | os.PathLike, quality: str = "low_quality",
         title: str = "pyneuron") -> Path:
    """Render ``scene_class`` as slides and write one self-contained HTML
    deck to ``out`` (atomically); returns its path."""
    from manim_slides.config import PresentationConfig
    from manim_slides.convert import RevealJS

    target = Path(out)
    if target.suffix.lower() != ".html":
        raise ValueError(f"a slide deck is an .html file, got {target}")
    root = reveal_js_root()
    logging.getLogger("manim-slides").setLevel(logging.WARNING)  # as quiet as the video renders
    with tempfile.TemporaryDirectory(prefix="pyneuron-slides-") as work:
        with tempconfig({"quality": quality, "media_dir": f"{work}/media", "disable_caching": True,
                         "progress_bar": "none", "verbosity": "WARNING"}):
            scene = slide_class(scene_class)(output_folder=Path(work) / "slides")
            scene.render()
        [description] = (Path(work) / "slides").glob("*.json")
        presentation = PresentationConfig.from_file(description)
        html = Path(work) / "deck.html"
        RevealJS(presentation_configs=[presentation], one_file=True, cdn_url=_PLACEHOLDER, title=title,
                 background_color=presentation.background_color).convert_to(html)
        page = inline_reveal_js(html.read_text(encoding="utf-8"), root)
        write_atomically(target, lambda f: f.write(page.encode("utf-8")), f".tmp-{target.name}-")
    return target


def inline_reveal_js(page: str, root: Path) -> str:
    """Replace the page's links to reveal.js files (under the placeholder
    address) by the files' contents, found by name under ``root``: the
    converter's layout of reveal.js and the shipped one differ in folders."""
    from bs4 import BeautifulSoup  # manim-slides' own dependency

    soup = BeautifulSoup(page, "html.parser")
    files = {p.name: p for p in root.rglob("*") if p.suffix in (".js", ".css") and "esm" not in p.name}
    for tag, attribute in (("link", "href"), ("script", "src")):
        for item in soup.find_all(tag):
            address = item.get(attribute)
            if not address or not address.startswith(_PLACEHOLDER):
                continue
            name = address.rsplit("/", 1)[1]
            if name not in files:
                raise ImportError(f"reveal.js under {root} lacks {name}")
            inline = soup.new_tag("style" if tag == "link" else "script")
            inline.string = files[name].read_text(encoding="utf-8")
            item.replace_with(inline)
    return str(soup)
