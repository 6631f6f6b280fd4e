"""Figure 1 accuracy and speed over the hand-labelled shared corpus, beside the largest-image baseline.

    python bench/figures.py [--pdfs ../shared/corpus/pdfs] [--repeat 3]

Correct: same page and IoU >= 0.8 with the labelled box; for a paper without Figure 1, saying there is none.
Time per paper: open the PDF, find Figure 1, render its PNG (the median of --repeat runs, after one warm-up
paper so the library's one-time start-up is not billed to the first paper); the doubt check is part of it. Beside
it, the floor of any caption-anchored finder: open, find the caption's page by text, render the labelled box at
144 dpi and encode the PNG.
Doubt: how many of notegen's crops are flagged, right and wrong ones apart; and, to measure the check on the
mistakes a finder makes, how many crops made wrong on purpose from each label are flagged (grown over the text
above, cut short by a third, or the same size just above the figure). Captions: how many end without a full
stop (cut mid-sentence, or a caption that is a title). Prints numbers; never fails.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_PDFS = HERE.parent.parent / "shared" / "corpus" / "pdfs"


def iou(a: list[float] | tuple[float, ...], b: list[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


_CAPTION_TEXT = r"(?:Figure|FIGURE|Fig\.?|FIG\.?|图|圖|図)\s*1(?!\d)"


def floor_ms(pymupdf, path: Path, label: dict) -> float:
    """The floor of any caption-anchored finder: open the PDF, find the caption's page by its text, render a
    144-dpi crop of the figure (the labelled box, known here for free) and encode the PNG."""
    import re

    start = time.perf_counter()
    with pymupdf.open(path) as doc:
        for page in doc:
            if re.search(_CAPTION_TEXT, page.get_text()):
                break
        if label["page"] is not None:
            clip = pymupdf.Rect(label["fig_bbox"])
            doc[label["page"]].get_pixmap(dpi=144, clip=clip, annots=False).tobytes("png")
    return (time.perf_counter() - start) * 1000


def correct(label: dict, page: int | None, box: list[float] | tuple[float, ...] | None) -> tuple[bool, float]:
    if label["page"] is None:
        return page is None, 0.0
    if page is None or box is None:
        return False, 0.0
    overlap = iou(box, label["fig_bbox"])
    return page == label["page"] and overlap >= 0.8, overlap


def largest_image(pymupdf, path: Path) -> tuple[int | None, list[float] | None]:
    """The peers' method: the largest embedded raster image placed anywhere in the document."""
    best: tuple[float, int, list[float]] | None = None
    with pymupdf.open(path) as doc:
        for page in doc:
            for info in page.get_image_info():
                rect = pymupdf.Rect(info["bbox"]) & page.rect
                if rect.is_empty:
                    continue
                area = rect.width * rect.height
                if best is None or area > best[0]:
                    best = (area, page.number, [rect.x0, rect.y0, rect.x1, rect.y1])
    return (best[1], best[2]) if best else (None, None)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pdfs", type=Path, default=DEFAULT_PDFS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    import pymupdf

    import_ms = (time.perf_counter() - start) * 1000
    from notegen.extract import figure_only

    labels = json.loads((args.pdfs / "labels.json").read_text())
    package = next(
        (f"{name} {metadata.version(name)}" for name in ("pymupdf-lite", "pymupdf") if _installed(name)), "?"
    )
    print(f"{package}, MuPDF {pymupdf.VersionFitz}; import {import_ms:.0f} ms; {len(labels)} papers\n")

    figure_only(args.pdfs / labels[0]["file"], "warm-up")
    rows = []
    for label in labels:
        path = args.pdfs / label["file"]
        times, result = [], None
        for _ in range(max(1, args.repeat)):
            result = figure_only(path, label["file"])
            times.append(result.ms)
        assert result is not None
        fig = result.figure
        ok, overlap = correct(label, fig.page if fig else None, fig.bbox if fig else None)
        floor = statistics.median(floor_ms(pymupdf, path, label) for _ in range(max(1, args.repeat)))
        t0 = time.perf_counter()
        base_page, base_box = largest_image(pymupdf, path)
        base_ms = (time.perf_counter() - t0) * 1000
        base_ok, base_overlap = correct(label, base_page, base_box)
        rows.append(
            {
                "doubt": fig.doubt if fig else None,
                "caption": fig.caption if fig else "",
                "file": label["file"],
                "kind": label.get("kind") or "no figure",
                "ok": ok,
                "iou": overlap,
                "ms": statistics.median(times),
                "method": fig.method if fig else (result.reason or ""),
                "base_ok": base_ok,
                "base_iou": base_overlap,
                "base_ms": base_ms,
                "floor_ms": floor,
            }
        )

    print(
        f"{'paper':36} {'layout':9} {'notegen':>18} {'ms':>6}   {'largest image':>16} {'ms':>5}  how notegen found it"
    )
    for r in rows:
        ours = f"{'ok' if r['ok'] else 'WRONG'} IoU {r['iou']:.2f}"
        base = f"{'ok' if r['base_ok'] else 'wrong'} IoU {r['base_iou']:.2f}"
        name, kind = r["file"][:36], r["kind"]
        print(f"{name:36} {kind:9} {ours:>18} {r['ms']:6.1f}   {base:>16} {r['base_ms']:5.1f}  {r['method']}")

    print("\nby layout       notegen   largest image")
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[r["kind"]].append(r)
    for kind, members in sorted(groups.items()):
        ours = sum(r["ok"] for r in members)
        base = sum(r["base_ok"] for r in members)
        print(f"  {kind:12} {ours:3}/{len(members):<3}   {base:3}/{len(members):<3}")
    ms = [r["ms"] for r in rows]
    base_ms = [r["base_ms"] for r in rows]
    n = len(rows)
    ours, base = sum(r["ok"] for r in rows), sum(r["base_ok"] for r in rows)
    print(f"\naccuracy        notegen {ours}/{n}   largest image {base}/{n}")
    print(
        f"ms per paper    notegen median {statistics.median(ms):.1f}, p90 {percentile(ms, 0.9):.1f}, max {max(ms):.1f}"
    )
    print(f"                largest image median {statistics.median(base_ms):.1f}, p90 {percentile(base_ms, 0.9):.1f}")
    floors = [r["floor_ms"] for r in rows]
    print(
        f"                floor median {statistics.median(floors):.1f} (open, find the caption's page by text, render"
        f" the labelled box at 144 dpi, encode)\n"
        f"notegen / floor  {sum(ms) / sum(floors):.2f}x in all, "
        f"median {statistics.median(m / f for m, f in zip(ms, floors, strict=True)):.2f}x"
    )
    failures = [r["file"] for r in rows if not r["ok"]]
    print(f"notegen wrong on: {', '.join(failures) if failures else 'none'}")

    found = [r for r in rows if r["kind"] != "no figure"]
    right = [r for r in found if r["ok"]]
    wrong = [r for r in found if not r["ok"]]
    print("\ndoubt           flagged")
    flagged = sum(bool(r["doubt"]) for r in right)
    print(f"  right crops   {flagged}/{len(right)}   (a false alarm costs the person a look)")
    print(f"  wrong crops   {sum(bool(r['doubt']) for r in wrong)}/{len(wrong)}")
    for r in found:
        if r["doubt"]:
            print(f"    {r['file'][:36]:36} {'ok' if r['ok'] else 'WRONG'}  {r['doubt']}")
    made, check_ms = planted_mistakes(pymupdf, args.pdfs, labels)
    for kind, flags in made.items():
        print(f"  made {kind:14} {sum(flags)}/{len(flags)}")
    print(
        f"  the check costs {statistics.median(check_ms):.2f} ms a crop (median; max {max(check_ms):.1f}): it reads the"
        " render and text the finder already has"
    )
    cut = [r for r in found if not r["caption"].rstrip().endswith((".", "!", "?", ")", ".”", '."', "。"))]
    print(f"\ncaptions ending without a full stop: {len(cut)}/{len(found)}")
    for r in cut:
        print(f"    {r['file'][:36]:36} …{r['caption'][-60:]}")


def planted_mistakes(pymupdf, pdfs: Path, labels: list[dict]) -> tuple[dict[str, list[bool]], list[float]]:
    """The doubt check on crops made wrong from each label, as a finder gets them wrong, and its time per crop."""
    from notegen.figure import Box, doubt_of, page_ink

    made: dict[str, list[bool]] = {"grown over text": [], "cut short": [], "beside it": []}
    check_ms: list[float] = []
    for label in labels:
        if label["page"] is None:
            continue
        with pymupdf.open(pdfs / label["file"]) as doc:
            page = doc[label["page"]]
            ink = page_ink(page)
            x0, y0, x1, y1 = label["fig_bbox"]
            h = y1 - y0
            top = max(page.rect.y0, y0 - 80)
            crops = {
                "grown over text": Box(x0, top, x1, y1),
                "cut short": Box(x0, y0 + h / 3, x1, y1),
                "beside it": Box(x0, max(page.rect.y0, y0 - h - 6), x1, y0 - 6),
            }
            for kind, crop in crops.items():
                if crop.height >= 20:
                    start = time.perf_counter()
                    made[kind].append(doubt_of(ink, crop) is not None)
                    check_ms.append((time.perf_counter() - start) * 1000)
    return made, check_ms


def _installed(name: str) -> bool:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
