"""A grid of frames sampled evenly from a video, to look at a whole render
at once (the frames are what the encoder wrote, not a re-render).

    .venv/bin/python tools/contact_sheet.py media/videos/boundary/1080p60/DecisionBoundaries.mp4 sheet.png
    .venv/bin/python tools/contact_sheet.py VIDEO OUT.png --frames 16 --columns 4 --width 480
"""
import argparse

import av
import numpy as np
from PIL import Image, ImageDraw


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video")
    parser.add_argument("out")
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--columns", type=int, default=3)
    parser.add_argument("--width", type=int, default=640, help="width of each tile in pixels")
    args = parser.parse_args()
    with av.open(args.video) as container:  # first pass: count the frames (headers can't be trusted)
        total = sum(1 for _ in container.demux(container.streams.video[0]) if _.size)
    picks = np.linspace(0, total - 1, args.frames).round().astype(int)
    w = args.width
    with av.open(args.video) as container:  # second pass: keep only the picked ones, shrunk
        stream = container.streams.video[0]
        rate = float(stream.average_rate)
        frames = {i: f.to_image().resize((w, round(f.height * w / f.width)), Image.LANCZOS)
                  for i, f in enumerate(container.decode(stream)) if i in set(picks)}
    h = next(iter(frames.values())).height
    rows = -(-len(picks) // args.columns)
    sheet = Image.new("RGB", (args.columns * w, rows * h), "black")
    for k, i in enumerate(picks):
        tile = frames[i]
        ImageDraw.Draw(tile).text((6, 4), f"{i / rate:.1f} s", fill="yellow")
        sheet.paste(tile, ((k % args.columns) * w, (k // args.columns) * h))
    sheet.save(args.out)
    print(f"{total} frames, {total / rate:.1f} s; wrote {args.out}")


if __name__ == "__main__":
    main()
