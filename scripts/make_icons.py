#!/usr/bin/env python3
"""Draw Carnet's icons (a white notebook on the accent blue) into static/icons/.

Only the standard library is used (zlib and struct write the PNG), so anyone can rebuild the
committed icons from this file and get the same pixels: ``python3 scripts/make_icons.py``.
A test decodes the committed files and compares them with what this script draws.

Shapes are described by signed distance functions in a unit square (0 to 1 on both axes) and
anti-aliased by the distance to their edge, one pixel wide, so the glyph stays crisp at 48 px
and at 512 px without supersampling.
"""

import math
import struct
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ICONS_DIR = Path(__file__).resolve().parent.parent / "static" / "icons"
ACCENT = (0x1F, 0x5F, 0x8B)
WHITE = (0xFF, 0xFF, 0xFF)

Rgba = tuple[float, float, float, float]
Distance = Callable[[float, float], float]


@dataclass(frozen=True)
class Shape:
    """A filled shape: its distance function, its bounding box in unit coordinates, its colour."""

    distance: Distance
    box: tuple[float, float, float, float]
    colour: tuple[int, int, int]


@dataclass(frozen=True)
class IconSpec:
    """One icon file: its size, how large the glyph is drawn and how the background is cut."""

    filename: str
    size: int
    glyph_scale: float
    # 0 fills the whole square (maskable and Apple icons: the platform cuts its own shape);
    # otherwise the corner radius of the background, as a fraction of the side.
    corner_radius: float


ICONS = (
    IconSpec("icon-192.png", 192, 1.15, 0.2),
    IconSpec("icon-512.png", 512, 1.15, 0.2),
    # A maskable icon may be cut to a circle of 80 % of its side: the glyph stays in that circle
    # (checked by glyph_radius below), and the background fills every pixel.
    IconSpec("maskable-512.png", 512, 1.0, 0.0),
    IconSpec("apple-touch-icon.png", 180, 1.1, 0.0),
    IconSpec("favicon.png", 48, 1.3, 0.18),
)
MASKABLE_SAFE_RADIUS = 0.4


def rounded_box(cx: float, cy: float, half_w: float, half_h: float, radius: float) -> Shape:
    def distance(x: float, y: float) -> float:
        qx = abs(x - cx) - half_w + radius
        qy = abs(y - cy) - half_h + radius
        return math.hypot(max(qx, 0.0), max(qy, 0.0)) + min(max(qx, qy), 0.0) - radius

    return Shape(distance, (cx - half_w, cy - half_h, cx + half_w, cy + half_h), WHITE)


def capsule(ax: float, ay: float, bx: float, by: float, half_thickness: float) -> Shape:
    """A segment with round ends, for the ruled lines, the spine and the elastic band."""
    dx, dy = bx - ax, by - ay
    length_squared = dx * dx + dy * dy

    def distance(x: float, y: float) -> float:
        t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / length_squared))
        return math.hypot(x - ax - t * dx, y - ay - t * dy) - half_thickness

    box = (min(ax, bx) - half_thickness, min(ay, by) - half_thickness,
           max(ax, bx) + half_thickness, max(ay, by) + half_thickness)
    return Shape(distance, box, ACCENT)


def coloured(shape: Shape, colour: tuple[int, int, int]) -> Shape:
    return Shape(shape.distance, shape.box, colour)


def glyph(scale: float) -> list[Shape]:
    """The notebook: a white cover, a spine line, three ruled lines and the elastic band."""

    def at(value: float) -> float:
        return 0.5 + value * scale

    half_w, half_h = 0.19 * scale, 0.25 * scale
    cover = rounded_box(at(0.0), at(0.0), half_w, half_h, 0.035 * scale)
    line = 0.014 * scale
    shapes = [cover, capsule(at(-0.115), at(-0.25), at(-0.115), at(0.25), 0.011 * scale)]
    # Ruled lines of writing, the last one shorter, like the end of a paragraph.
    for y, end in ((-0.09, 0.075), (0.0, 0.075), (0.09, 0.03)):
        shapes.append(capsule(at(-0.06), at(y), at(end), at(y), line))
    shapes.append(capsule(at(0.135), at(-0.25), at(0.135), at(0.25), 0.016 * scale))
    return shapes


def glyph_radius(scale: float) -> float:
    """How far the glyph reaches from the centre, in unit coordinates (its cover's corner)."""
    return math.hypot(0.19 * scale, 0.25 * scale)


def background(spec: IconSpec) -> Shape:
    if spec.corner_radius == 0:
        return Shape(lambda _x, _y: -1.0, (0.0, 0.0, 1.0, 1.0), ACCENT)
    return coloured(rounded_box(0.5, 0.5, 0.5, 0.5, spec.corner_radius), ACCENT)


def over(below: Rgba, colour: tuple[int, int, int], alpha: float) -> Rgba:
    """Porter-Duff "over" with straight (not premultiplied) alpha, channels from 0 to 1."""
    out_alpha = alpha + below[3] * (1 - alpha)
    if out_alpha == 0:
        return (0.0, 0.0, 0.0, 0.0)
    channels = [(c / 255 * alpha + b * below[3] * (1 - alpha)) / out_alpha for c, b in zip(colour, below[:3])]
    return (channels[0], channels[1], channels[2], out_alpha)


def draw(spec: IconSpec) -> list[bytearray]:
    """Rows of RGBA bytes, top to bottom."""
    size = spec.size
    pixels: list[list[Rgba]] = [[(0.0, 0.0, 0.0, 0.0)] * size for _ in range(size)]
    for shape in [background(spec), *glyph(spec.glyph_scale)]:
        opaque: Rgba = (shape.colour[0] / 255, shape.colour[1] / 255, shape.colour[2] / 255, 1.0)
        left, top, right, bottom = shape.box
        # Only the pixels the shape can touch, plus one for the anti-aliased edge.
        x0, y0 = max(0, int(left * size) - 1), max(0, int(top * size) - 1)
        x1, y1 = min(size, int(math.ceil(right * size)) + 1), min(size, int(math.ceil(bottom * size)) + 1)
        for row in range(y0, y1):
            y = (row + 0.5) / size
            line = pixels[row]
            for column in range(x0, x1):
                coverage = 0.5 - shape.distance((column + 0.5) / size, y) * size
                if coverage >= 1:
                    # Fully covered by an opaque colour: "over" would give the colour itself.
                    line[column] = opaque
                elif coverage > 0:
                    line[column] = over(line[column], shape.colour, coverage)
    return [bytearray(round(channel * 255) for pixel in line for channel in pixel) for line in pixels]


def png(rows: list[bytearray]) -> bytes:
    """An 8-bit RGBA PNG, every row with filter type 0 (none)."""
    height, width = len(rows), len(rows[0]) // 4

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def render_icons() -> dict[str, list[bytearray]]:
    """Every icon's rows of RGBA pixels, by file name."""
    maskable = next(spec for spec in ICONS if spec.filename.startswith("maskable"))
    if glyph_radius(maskable.glyph_scale) > MASKABLE_SAFE_RADIUS:
        raise ValueError("the maskable glyph leaves the safe zone")
    return {spec.filename: draw(spec) for spec in ICONS}


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else ICONS_DIR
    target.mkdir(parents=True, exist_ok=True)
    for filename, rows in render_icons().items():
        (target / filename).write_bytes(png(rows))
        print(target / filename)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
