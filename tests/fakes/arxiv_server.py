"""A loopback arXiv: the API answers with the real recorded responses in ../shared/corpus/arxiv-atom, keyed
by the request's id_list; other IDs are answered from a catalogue of entries in the same Atom format (the
recorded entries plus one per PDF of the shared corpus), dropping unknown IDs as the real API does. PDFs are
served from /pdf/<id>: the corpus PDF for a corpus paper, else a PDF generated with PyMuPDF.
"""

from __future__ import annotations

import copy
import csv
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.fakes.http import Canned, LoopbackServer, Seen
from tests.pdfs import paper

SHARED = Path(__file__).resolve().parents[3] / "shared"
ATOM_DIR = SHARED / "corpus" / "arxiv-atom"
PDF_DIR = SHARED / "corpus" / "pdfs"
NS = {"a": "http://www.w3.org/2005/Atom", "os": "http://a9.com/-/spec/opensearch/1.1/"}
ET.register_namespace("", NS["a"])
ET.register_namespace("opensearch", NS["os"])
ET.register_namespace("arxiv", "http://arxiv.org/schemas/atom")


def _recordings() -> dict[str, Canned]:
    """Recorded responses by the id_list they answered."""
    out: dict[str, Canned] = {}
    for meta in sorted(ATOM_DIR.glob("*.meta")):
        fields = dict(line.split(": ", 1) for line in meta.read_text().splitlines() if ": " in line)
        query = parse_qs(urlsplit(fields["url"]).query, keep_blank_values=True)
        body = meta.with_suffix(".xml").read_bytes()
        out[query["id_list"][0]] = Canned(int(fields["status"]), body, {"Content-Type": "application/atom+xml"})
    return out


def _short_id(entry: ET.Element) -> str:
    return entry.findtext("a:id", "", NS).split("/abs/")[-1]


def corpus_papers() -> dict[str, tuple[str, Path]]:
    """arXiv ID -> (title, PDF) for the shared corpus papers that have an arXiv ID."""
    out: dict[str, tuple[str, Path]] = {}
    with open(PDF_DIR / "SOURCES.tsv", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["arxiv_id"]:
                out[row["arxiv_id"]] = (row["title"], PDF_DIR / row["file"])
    return out


class FakeArxiv(LoopbackServer):
    def __init__(self, pdf_dir: Path) -> None:
        super().__init__()
        self.recordings = _recordings()
        self.catalogue: dict[str, ET.Element] = {}  # versioned short id -> entry
        self.pdfs: dict[str, Path] = {}  # base id -> PDF
        self.pdf_script: dict[str, Canned] = {}  # base id -> a canned answer instead of the PDF
        template: ET.Element | None = None
        for canned in self.recordings.values():
            if canned.status != 200:
                continue
            for entry in ET.fromstring(canned.body).findall("a:entry", NS):
                self.catalogue[_short_id(entry)] = entry
                template = template if template is not None else entry
        assert template is not None
        self._template = template
        for arxiv_id, (title, pdf) in corpus_papers().items():
            self.add(arxiv_id, title, pdf)
        for short in list(self.catalogue):
            base = short.rsplit("v", 1)[0]
            if base not in self.pdfs:
                title = self.catalogue[short].findtext("a:title", "", NS)
                self.pdfs[base] = paper(pdf_dir / f"{base.replace('/', '_')}.pdf", title=" ".join(title.split()))

    def add(self, arxiv_id: str, title: str, pdf: Path | None, version: int = 1) -> None:
        """A paper in the catalogue (pdf None: listed with no PDF link, like a withdrawn paper)."""
        entry = copy.deepcopy(self._template)
        short = f"{arxiv_id}v{version}"
        entry.find("a:id", NS).text = f"http://arxiv.org/abs/{short}"  # type: ignore[union-attr]
        entry.find("a:title", NS).text = title  # type: ignore[union-attr]
        entry.find("a:summary", NS).text = (  # type: ignore[union-attr]
            f"We present {title}. This abstract stands in for the paper's own in the loopback catalogue."
        )
        for link in entry.findall("a:link", NS):
            if link.get("title") == "pdf":
                if pdf is None:
                    entry.remove(link)
                else:
                    link.set("href", f"https://arxiv.org/pdf/{short}")
            else:
                link.set("href", f"https://arxiv.org/abs/{short}")
        self.catalogue[short] = entry
        if pdf is not None:
            self.pdfs[arxiv_id] = pdf

    @property
    def api_calls(self) -> list[Seen]:
        return [r for r in self.requests if r.path.startswith("/api/query")]

    def answer(self, seen: Seen) -> Canned:
        url = urlsplit(seen.path)
        if url.path == "/api/query":
            id_list = parse_qs(url.query, keep_blank_values=True).get("id_list", [""])[0]
            if id_list in self.recordings:
                return self.recordings[id_list]
            return self._feed(id_list.split(","))
        if url.path.startswith("/pdf/"):
            short = url.path[len("/pdf/") :].removesuffix(".pdf")
            base = short.rsplit("v", 1)[0] if "v" in short.split("/")[-1] else short
            if base in self.pdf_script:
                return self.pdf_script[base]
            if base in self.pdfs:
                return Canned(200, self.pdfs[base].read_bytes(), {"Content-Type": "application/pdf"})
        return Canned(404, b"<html><body>Not found</body></html>", {"Content-Type": "text/html"})

    def _feed(self, ids: list[str]) -> Canned:
        feed = ET.fromstring(next(iter(c for c in self.recordings.values() if c.status == 200)).body)
        for entry in feed.findall("a:entry", NS):
            feed.remove(entry)
        found = 0
        for wanted in ids:
            for short, entry in self.catalogue.items():
                if short == wanted or short.rsplit("v", 1)[0] == wanted:
                    feed.append(copy.deepcopy(entry))
                    found += 1
                    break
        feed.find("os:totalResults", NS).text = str(found)  # type: ignore[union-attr]
        body = ET.tostring(feed, xml_declaration=True, encoding="UTF-8")
        return Canned(200, body, {"Content-Type": "application/atom+xml"})
