"""Worst-case markdown rendering time: `python -m bench.markdown_render`.

The target is under 200 ms for the largest allowed post, whatever it contains.
The inputs are the pathological ones the tests use (tests/discussions/test_markdown.py).
"""

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spoonful.settings")

import django

django.setup()

from discussions.markdown import MAX_BODY_LENGTH, render_markdown  # noqa: E402

TARGET_MS = 200
INPUTS = {
    "stars": "*" * MAX_BODY_LENGTH,
    "underscores": "_" * MAX_BODY_LENGTH,
    "brackets": "[" * MAX_BODY_LENGTH,
    "star-bracket": "*[" * (MAX_BODY_LENGTH // 2),
    "quotes": "> " * (MAX_BODY_LENGTH // 2),
    "list-tabs": "-\t" * (MAX_BODY_LENGTH // 2),
    "ordered": "1. " * (MAX_BODY_LENGTH // 3),
    "nested-list": "\n".join("  " * depth + "- x" for depth in range(1500))[:MAX_BODY_LENGTH],
    "backticks": "`" * MAX_BODY_LENGTH,
    "entities": "&#" * (MAX_BODY_LENGTH // 2),
    "link-openers": "[a](" * (MAX_BODY_LENGTH // 4),
    "hashtags": "#mecfs " * (MAX_BODY_LENGTH // 7),
    "prose": ("Pacing on a good day is the hardest part. " * 500)[:MAX_BODY_LENGTH],
}


SECTION = "## Markdown rendering"


def measure() -> list[str]:
    worst = 0.0
    lines = [
        SECTION,
        "",
        f"`python -m bench.markdown_render`: the largest allowed post ({MAX_BODY_LENGTH:,} characters) of each",
        f"pathological kind, rendered 5 times. Target: under {TARGET_MS} ms.",
        "",
        "| input | median ms | max ms |",
        "|---|---:|---:|",
    ]
    for name, source in INPUTS.items():
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            render_markdown(source, resolve_hashtags=lambda names: {n: n for n in names})
            runs.append((time.perf_counter() - started) * 1000)
        worst = max(worst, max(runs))
        lines.append(f"| {name} | {statistics.median(runs):.1f} | {max(runs):.1f} |")
    verdict = "meets" if worst < TARGET_MS else "misses"
    lines += ["", f"Worst {worst:.1f} ms: {verdict} the {TARGET_MS} ms target.", ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--append", type=Path, help="add (or replace) the section in this markdown file")
    args = parser.parse_args()
    lines = measure()
    print("\n".join(lines))
    if args.append:
        existing = args.append.read_text() if args.append.exists() else ""
        kept = existing.split(SECTION)[0].rstrip("\n")
        args.append.write_text((kept + "\n\n" if kept else "") + "\n".join(lines))


if __name__ == "__main__":
    main()
