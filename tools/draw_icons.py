"""Draw the app icons in static/icons/ from the spoon of static/icons/spoon.svg.

Run from the repository root after changing the spoon: ``.venv/bin/python tools/draw_icons.py``.
The PNGs are committed; nothing runs this at deploy time. The geometry below is the SVG's
(a 32-unit square): a rounded square in the brand blue and a white spoon turned 40 degrees.
"""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "static" / "icons"
BLUE = (0x0B, 0x5C, 0x8A, 255)
WHITE = (255, 255, 255, 255)
SUPERSAMPLE = 4  # drawn large, then scaled down: smooth edges without an SVG renderer


def _spoon_layer(size: int, scale: float) -> Image.Image:
    """The spoon alone on a transparent square, ``scale`` times its size in the SVG."""
    unit = size / 32 * scale
    offset = (size - 32 * unit) / 2  # keep the spoon centred when scaled

    def at(value: float) -> float:
        return offset + value * unit

    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    draw.ellipse((at(16 - 5.5), at(9.5 - 7), at(16 + 5.5), at(9.5 + 7)), fill=WHITE)
    draw.rounded_rectangle((at(14.5), at(14), at(17.5), at(29.5)), radius=1.5 * unit, fill=WHITE)
    # SVG's rotate(40) turns clockwise on screen; Pillow turns anticlockwise.
    return layer.rotate(-40, resample=Image.Resampling.BICUBIC, center=(size / 2, size / 2))


def draw(size: int, *, maskable: bool) -> Image.Image:
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        # Full bleed: the platform cuts its own shape. The spoon stays inside the central
        # circle (40% of the size in radius) that every mask keeps.
        draw.rectangle((0, 0, big, big), fill=BLUE)
        spoon = _spoon_layer(big, 0.8)
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 7 / 32, fill=BLUE)
        spoon = _spoon_layer(big, 1.0)
    image.alpha_composite(spoon)
    return image.resize((size, size), Image.Resampling.LANCZOS)


ICONS = {
    "icon-192.png": (192, False),
    "icon-512.png": (512, False),
    "maskable-192.png": (192, True),
    "maskable-512.png": (512, True),
    # iOS rounds the corners itself and shows transparency as black: a full-bleed square.
    "apple-touch-icon.png": (180, True),
}


def main() -> None:
    for name, (size, maskable) in ICONS.items():
        image = draw(size, maskable=maskable)
        if name == "apple-touch-icon.png":
            image = image.convert("RGB")
        image.save(OUT / name, optimize=True)
        print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main()
