"""Backfill throughput against loopback servers with realistic latency, beside its lower bound.

    python bench/backfill.py [--days 30 120] [--papers 5] [--concurrency 8]

The loopback arXiv answers API calls closer than 3 s apart with HTTP 429, serves each PDF in 300 ms (the shared
corpus PDFs under distinct IDs, so nothing is cached), and the loopback model answers in 2 s. `notegen
backfill` runs as a person runs it, in a fresh workspace. Printed: wall time; the lower bound, the largest of
the arXiv floor (3 s between API calls), model time / concurrency and extraction CPU / cores; their ratio;
peak RSS of the notegen processes; the closest two API calls came; 429s received. Never fails.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.fakes.arxiv_server import FakeArxiv, corpus_papers  # noqa: E402
from tests.fakes.http import Canned, Seen  # noqa: E402
from tests.fakes.llm_server import FakeLLM  # noqa: E402

API_GAP = 3.0
PDF_SECONDS = 0.3
LLM_SECONDS = 2.0


class SlowArxiv(FakeArxiv):
    def __init__(self, pdf_dir: Path) -> None:
        super().__init__(pdf_dir)
        self.last_api: float | None = None
        self.refused = 0
        self.gaps: list[float] = []

    def answer(self, seen: Seen) -> Canned:
        if seen.path.startswith("/api/query"):
            now = time.monotonic()
            if self.last_api is not None:
                self.gaps.append(now - self.last_api)
                if now - self.last_api < API_GAP:
                    self.refused += 1
                    return Canned(429, b"Rate exceeded", {"Retry-After": "3"})
            self.last_api = now
        elif seen.path.startswith("/pdf/"):
            time.sleep(PDF_SECONDS)
        return super().answer(seen)


def extraction_ms() -> float:
    """Mean CPU time to read one corpus PDF (text, figure and its PNG), measured here."""
    from notegen.extract import extract

    pdfs = [pdf for _, pdf in corpus_papers().values()]
    extract(pdfs[0], "warm-up")
    start = time.process_time()
    for pdf in pdfs:
        extract(pdf, pdf.name)
    return (time.process_time() - start) * 1000 / len(pdfs)


def run(days: int, papers: int, concurrency: int, per_pdf_ms: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        corpus = list(corpus_papers().items())
        (root / "pdfs").mkdir()
        with SlowArxiv(root / "pdfs") as arxiv, FakeLLM() as llm:
            llm.delay = LLM_SECONDS
            lines = []
            n = 0
            for d in range(days):
                ids = []
                for _ in range(papers):
                    arxiv_id = f"2501.{n:05d}"
                    _, (title, pdf) = corpus[n % len(corpus)]
                    arxiv.add(arxiv_id, f"{title} (copy {n})", pdf)
                    ids.append(arxiv_id)
                    n += 1
                day = time.strftime("%Y-%m-%d", time.gmtime(1704067200 + d * 86400))
                lines.append(f"{day} {' '.join(ids)}")
            manifest = root / "days.txt"
            manifest.write_text("\n".join(lines) + "\n")
            ws = root / "ws"
            (ws / "notes").mkdir(parents=True)
            env = {
                **os.environ,
                "NOTEGEN_ARXIV_URL": f"{arxiv.url}/api/query",
                "NOTEGEN_PDF_URL": arxiv.url,
                "OPENAI_BASE_URL": f"{llm.url}/v1",
                "OPENAI_API_KEY": "sk-bench",
                "NOTEGEN_MODEL": "bench",
                "NOTEGEN_STATE_DIR": str(root / "state"),
            }
            command = [sys.executable, "-m", "notegen", "backfill", str(manifest), "--concurrency", str(concurrency)]
            start = time.monotonic()
            done = subprocess.run(command, cwd=ws, env=env, capture_output=True, text=True)
            wall = time.monotonic() - start
            rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            total = days * papers
            api_calls = math.ceil(total / 100)
            bounds = {
                "arXiv floor": (api_calls - 1) * API_GAP,
                "model / concurrency": total * LLM_SECONDS / concurrency,
                "extraction / cores": total * per_pdf_ms / 1000 / (os.cpu_count() or 1),
            }
            bound_name, bound = max(bounds.items(), key=lambda kv: kv[1])
            notes = len(list((ws / "notes").glob("*.md")))
            print(f"{days} days x {papers} papers = {total}, concurrency {concurrency}, exit {done.returncode}")
            print(f"  wall {wall:.1f} s; lower bound {bound:.1f} s ({bound_name}); ratio {wall / bound:.2f}")
            print("  bounds: " + ", ".join(f"{k} {v:.1f} s" for k, v in bounds.items()))
            print(f"  peak RSS {rss_mb:.0f} MB (largest notegen process)")
            closest = min(arxiv.gaps) if arxiv.gaps else float("nan")
            print(f"  arXiv API calls {len(arxiv.gaps) + 1}, closest {closest:.2f} s apart, 429s {arxiv.refused}")
            print(f"  notes in the vault {notes}")
            if done.returncode != 0:
                print("  stderr tail: " + " | ".join(done.stderr.strip().splitlines()[-5:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, nargs="+", default=[30, 120])
    parser.add_argument("--papers", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--per-pdf-ms", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    per_pdf = args.per_pdf_ms or extraction_ms()
    if len(args.days) == 1:
        run(args.days[0], args.papers, args.concurrency, per_pdf)
        return
    print(f"extraction CPU per corpus PDF: {per_pdf:.0f} ms")
    for days in args.days:  # each size in its own process, so peak RSS is its own
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--days",
                str(days),
                "--papers",
                str(args.papers),
                "--concurrency",
                str(args.concurrency),
                "--per-pdf-ms",
                str(per_pdf),
            ],
            check=False,
        )


if __name__ == "__main__":
    main()
