"""A loopback arXiv: the API answers with the real recorded responses in ../shared/corpus/arxiv-atom, keyed
by the request's id_list; other IDs are answered from a catalogue of entries in the same Atom format (the
recorded entries plus one per PDF of the shared corpus), dropping unknown IDs as the real API does. PDFs are
served from /pdf/<id>: the corpus PDF for a corpus paper, else a PDF generated with PyMuPDF.

Without ../shared (a clone of the repository on its own), it serves the papers the tests name from its own
Atom template, with their real titles and PDFs generated here: the tests that need the real PDFs or recordings
are marked `shared` and skipped (see conftest).
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
HAVE_SHARED = ATOM_DIR.is_dir() and PDF_DIR.is_dir()

# The papers tests name, with their real titles: what the loopback serves when ../shared is not there.
STANDALONE = {
    "1505.04597": "U-Net: Convolutional Networks for Biomedical Image Segmentation",
    "1512.03385": "Deep Residual Learning for Image Recognition",
    "1612.03144": "Feature Pyramid Networks for Object Detection",
    "1703.09710": "Fast and scalable Gaussian process modeling with applications to astronomical time series "
    "(celerite)",
    "1810.04805": "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
    "2006.02250": "dynoNet: A neural network architecture for learning dynamical systems",
    "2010.14731": "MultiMix: Sparingly Supervised, Extreme Multitask Learning from Medical Images",
    "2012.15864": "EC-GAN: Low-Sample Classification using Semi-Supervised Algorithms and GANs",
    "2104.08860": "CLIP4Clip: An Empirical Study of CLIP for End to End Video Clip Retrieval",
    "2210.02997": "Expander Graph Propagation",
    "2309.13391": "D-Separation for Causal Self-Explanation",
    "2402.03962": "Position: Stop Making Unscientific AGI Performance Claims",
    "2504.18256": "SSL4Eco: A Global Seasonal Dataset for Geospatial Foundation Models in Ecology",
    "2511.19418": "Chain-of-Visual-Thought: Teaching VLMs to See and Think Better with Continuous Visual Tokens",
    "2603.12231": "Theoretical Analysis of Straightened Latent Dynamics on Gradient-Based Trajectory Optimization",
    "2604.00800": "MIRANDA: Mid-feature Rank-adversarial Domain Adaptation toward climate change-robust ecological "
    "forecasting",
    "1707.08567": "Proceedings of Workshop AEW10: Concepts in Information Theory and Communications",
    "1605.08386": "Heat-bath random walks with Markov bases",
    "quant-ph/0201082": "Quantum Computers and Quantum Computer Languages: Quantum Assembly Language and Quantum C",
    "astro-ph/0601001": "Frequency of Hot Jupiters and Very Hot Jupiters from the OGLE-III Transit Surveys",
}
NO_FIGURE = {"2603.12231"}  # the corpus paper without a Figure 1, and so its stand-in
TEMPLATE = b"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom"
 xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/loopback</id>
  <title>arXiv Query</title>
  <updated>2026-04-12T22:10:26Z</updated>
  <opensearch:itemsPerPage>100</opensearch:itemsPerPage>
  <opensearch:totalResults>1</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <entry>
    <id>http://arxiv.org/abs/0000.00000v1</id>
    <title>Template</title>
    <updated>2017-07-27T08:18:33Z</updated>
    <link href="https://arxiv.org/abs/0000.00000v1" rel="alternate" type="text/html"/>
    <link href="https://arxiv.org/pdf/0000.00000v1" rel="related" type="application/pdf" title="pdf"/>
    <summary>Template.</summary>
    <category term="cs.CV" scheme="http://arxiv.org/schemas/atom"/>
    <published>2017-07-27T08:18:33Z</published>
    <arxiv:primary_category term="cs.CV"/>
    <author><name>Ada Author</name></author>
  </entry>
</feed>
"""
NS = {"a": "http://www.w3.org/2005/Atom", "os": "http://a9.com/-/spec/opensearch/1.1/"}
ET.register_namespace("", NS["a"])
ET.register_namespace("opensearch", NS["os"])
ET.register_namespace("arxiv", "http://arxiv.org/schemas/atom")


def _recordings() -> dict[str, Canned]:
    """Recorded responses by the id_list they answered (none without ../shared, but the template)."""
    out: dict[str, Canned] = {}
    if not HAVE_SHARED:
        return {"": Canned(200, TEMPLATE, {"Content-Type": "application/atom+xml"})}
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
    if not HAVE_SHARED:
        return out
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
        # Entries sent first in every feed though no one asked for them: arXiv's feed may hold entries beyond the
        # IDs asked (an error entry for an ID it cannot read, a paper listed under its new ID; see the API manual's
        # "Errors" section: errors come back as <entry> elements), and opensearch:totalResults counts them.
        self.unasked: list[str] = []
        template: ET.Element | None = None
        for canned in self.recordings.values():
            if canned.status != 200:
                continue
            for entry in ET.fromstring(canned.body).findall("a:entry", NS):
                self.catalogue[_short_id(entry)] = entry
                template = template if template is not None else entry
        assert template is not None
        self._template = template
        self._feed_body = next(c.body for c in self.recordings.values() if c.status == 200)
        if "" in self.recordings:  # without ../shared: the template only, not an answer to any query
            del self.recordings[""]
            self.catalogue.clear()
            for arxiv_id, title in STANDALONE.items():
                kind = "none" if arxiv_id in NO_FIGURE else "vector"
                caption = None if arxiv_id in NO_FIGURE else "Figure 1: An overview of the method."
                path = pdf_dir / f"{arxiv_id.replace('/', '_')}.pdf"
                self.add(arxiv_id, title, paper(path, title=title, caption=caption, figure=kind, label=arxiv_id))
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
        feed = ET.fromstring(self._feed_body)
        for entry in feed.findall("a:entry", NS):
            feed.remove(entry)
        found = 0
        for short in self.unasked:
            feed.append(copy.deepcopy(self.catalogue[short]))
            found += 1
        for wanted in ids:
            for short, entry in self.catalogue.items():
                if short == wanted or short.rsplit("v", 1)[0] == wanted:
                    feed.append(copy.deepcopy(entry))
                    found += 1
                    break
        feed.find("os:totalResults", NS).text = str(found)  # type: ignore[union-attr]
        body = ET.tostring(feed, xml_declaration=True, encoding="UTF-8")
        return Canned(200, body, {"Content-Type": "application/atom+xml"})
