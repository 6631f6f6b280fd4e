"""Serve the loopback arXiv and LLM for trying notegen by hand, no internet needed:

python -m tests.fakes            # prints the environment to export and the arXiv IDs served, until Ctrl-C
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.llm_server import FakeLLM


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, FakeArxiv(Path(tmp)) as arxiv, FakeLLM() as llm:
        print(f"export NOTEGEN_ARXIV_URL={arxiv.url}/api/query NOTEGEN_PDF_URL={arxiv.url}")
        print(f"export OPENAI_BASE_URL={llm.url}/v1 OPENAI_API_KEY=sk-loopback NOTEGEN_MODEL=loopback-model")
        served = sorted({short.rsplit("v", 1)[0] for short in arxiv.catalogue})
        print(f"# {len(served)} papers served: " + " ".join(served), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
