"""arXiv adapter: metadata in batched, paced API calls, and PDFs into a checked cache.

Only this module imports `arxiv`. arxiv 4.x sends requests without a timeout and retries blindly, so its
client runs with num_retries=0 over a session that always sets a timeout, and notegen owns pacing and retries.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import xml.etree.ElementTree as ET  # expat refuses entity bombs since 2.4; the answer is only checked
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import arxiv
import requests
import urllib3

from notegen import __version__, defaults
from notegen.errors import FatalError, PaperError
from notegen.ids import ArxivId, parse_arxiv_id
from notegen.retrying import TRANSIENT_STATUS, Transient, call_with_retries, parse_retry_after, tries
from notegen.storage import Staged, atomic_file

log = logging.getLogger(__name__)

BATCH = 100  # the API's id_list limit per query that notegen uses
MAX_PDF_BYTES = 200 * 1024 * 1024
USER_AGENT = f"notegen/{__version__} (paper notes; one request per 3 s)"


@dataclass(frozen=True)
class Paper:
    """A paper's arXiv metadata."""

    arxiv_id: ArxivId  # versioned, as arXiv answered
    title: str
    abstract: str
    pdf_url: str | None


@dataclass(frozen=True)
class Lookup:
    found: dict[str, Paper]  # by ArxivId.key
    missing: list[ArxivId]


class Throttle:
    """At most one call per `interval` seconds, measured from the end of one call to the start of the next.

    Use as `with throttle: call()`; calls through one throttle never overlap.
    """

    def __init__(
        self,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._last: float | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        self._lock.acquire()
        if self._last is not None:
            delay = self._last + self.interval - self._clock()
            if delay > 0:
                log.debug("arXiv API: waiting %.1f s (one call per %g s)", delay, self.interval)
                self._sleep(delay)

    def __exit__(self, *exc: object) -> None:
        self._last = self._clock()
        self._lock.release()


class _TimedSession(requests.Session):
    """A requests session that never waits past the current step's deadline and remembers the last response's
    headers. The deadline is per thread: the arxiv client calls in the thread that asked it."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        self.headers["User-Agent"] = USER_AGENT
        self._step = threading.local()  # this thread's deadline and last answer

    @contextmanager
    def step(self, deadline: float) -> Iterator[None]:
        """Requests made in this thread inside the block end by `deadline` (time.monotonic()), body included."""
        self._step.deadline = deadline
        try:
            yield
        finally:
            self._step.deadline = None

    @property
    def deadline(self) -> float:
        return getattr(self._step, "deadline", None) or time.monotonic() + self.timeout

    @property
    def last_headers(self) -> dict[str, str]:
        """The headers of the last response this thread received."""
        return getattr(self._step, "headers", {})

    @property
    def last_body(self) -> bytes:
        """The body of the last response this thread read whole."""
        return getattr(self._step, "body", b"")

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        left = max(0.01, self.deadline - time.monotonic())
        kwargs.setdefault("timeout", (min(10.0, left), left))
        streamed = kwargs.pop("stream", False)
        kwargs["stream"] = True
        response = super().request(method, url, *args, **kwargs)
        self._step.headers, self._step.body = dict(response.headers), b""
        if not streamed:  # read it now, within the deadline, as requests would have without stream=True
            response._content = self._step.body = b"".join(read_within(response, self.deadline))
        return response


def read_within(response: requests.Response, deadline: float) -> Iterator[bytes]:
    """The response body as it arrives, raising requests.Timeout once `deadline` (monotonic) has passed."""
    raw = response.raw
    while True:
        if time.monotonic() > deadline:
            response.close()
            raise requests.Timeout("the server sent the response too slowly")
        try:
            chunk = raw.read1(1 << 16, decode_content=True)  # what has arrived, decompressed
        except urllib3.exceptions.ReadTimeoutError as err:
            raise requests.Timeout(str(err)) from err
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.DecodeError, OSError) as err:
            raise requests.ConnectionError(str(err)) from err
        if not chunk:
            return
        yield chunk


class Arxiv:
    """Metadata lookups and PDF downloads against arXiv (or a mirror at `api_url` / `pdf_url`)."""

    def __init__(
        self,
        api_url: str,
        pdf_url: str | None = None,
        interval: float = defaults.ARXIV_INTERVAL,
        timeout: float = defaults.HTTP_TIMEOUT,
        attempts: int = defaults.RETRIES,
        sleep: Callable[[float], None] = time.sleep,
        connections: int = defaults.PDF_CONNECTIONS,
    ) -> None:
        self.api_url = api_url
        self.pdf_url = pdf_url
        self.attempts = attempts
        self.throttle = Throttle(interval, sleep=sleep)
        self._sleep = sleep
        self._session = _TimedSession(timeout)
        self._client = arxiv.Client(page_size=BATCH, delay_seconds=0, num_retries=0)
        self._client.query_url_format = api_url + "?{}"
        self._client._session = self._session  # the only way to give arxiv 4.x a timeout
        self._downloads = threading.Semaphore(max(1, connections))

    def close(self) -> None:
        self._session.close()

    # -- metadata -------------------------------------------------------------------------------------

    def lookup(self, ids: Iterable[ArxivId]) -> Lookup:
        """Metadata for `ids` in calls of at most 100 IDs; IDs arXiv does not know are returned as missing."""
        wanted = list(dict.fromkeys(ids))  # a paper read on two days is asked for once
        found: dict[str, Paper] = {}
        for batch in _chunks(wanted, BATCH):
            for result in self._query(batch):
                paper = _paper(result)
                if paper is None:
                    continue
                for asked in batch:
                    if asked.base == paper.arxiv_id.base and asked.version in (None, paper.arxiv_id.version):
                        found[asked.key] = paper
        missing = [i for i in wanted if i.key not in found]
        return Lookup(found, missing)

    def _query(self, batch: list[ArxivId]) -> list[arxiv.Result]:
        # Every entry the feed has, not the first len(batch): an entry not asked for (an error entry, a paper
        # listed twice) must not push one that was off the end. The page holds them all (page_size is BATCH);
        # a feed that claims more than a page more is not followed further.
        search = arxiv.Search(id_list=[str(i) for i in batch], max_results=len(batch) + BATCH)
        names = ", ".join(str(i) for i in batch[:3]) + (" ..." if len(batch) > 3 else "")

        def once() -> list[arxiv.Result]:
            try:
                with self.throttle, self._session.step(deadline):
                    started = time.monotonic()
                    results = list(self._client.results(search))
                    log.debug("arXiv API: %s: %d entries in %.2f s", names, len(results), time.monotonic() - started)
                kind = self._session.last_headers.get("Content-Type", "")
                if "html" in kind.lower():
                    raise FatalError(
                        f"the arXiv API ({self.api_url}) answered with a web page, not a feed",
                        subject=names,
                        detail="a captcha or an error page",
                        hint="retry later or set NOTEGEN_ARXIV_URL to another mirror",
                    )
                problem = _not_a_feed(self._session.last_body)
                if problem:
                    raise Transient(f"the arXiv API answered with {problem}")
                return results
            except arxiv.HTTPError as err:
                retry_after = parse_retry_after(self._session.last_headers)
                if err.status in TRANSIENT_STATUS:
                    raise Transient(f"arXiv API answered HTTP {err.status}", retry_after) from err
                raise FatalError(
                    f"the arXiv API answered HTTP {err.status}",
                    subject=names,
                    hint=f"check the IDs and NOTEGEN_ARXIV_URL ({self.api_url})",
                ) from err
            except requests.Timeout as err:
                raise Transient(f"the arXiv API gave no answer within http_timeout ({self.timeout:g} s)") from err
            except requests.ConnectionError as err:
                raise Transient(f"arXiv API unreachable ({type(err).__name__})") from err
            except requests.RequestException as err:
                raise Transient(f"arXiv API answered badly ({type(err).__name__})") from err
            except arxiv.ArxivError as err:
                raise Transient(f"arXiv API: {err.message}") from err

        deadline = time.monotonic() + self.timeout
        try:
            return call_with_retries(once, self.attempts, "arXiv API", sleep=self._sleep, deadline=deadline)
        except Transient as err:
            raise FatalError(
                f"{err} {tries(err)}",
                subject=names,
                hint=f"retry later or check NOTEGEN_ARXIV_URL ({self.api_url})",
            ) from err

    # -- PDFs -----------------------------------------------------------------------------------------

    def pdf_link(self, paper: Paper) -> str | None:
        """Where to download the paper's PDF: arXiv's link (only to arXiv or the configured API host, over
        http(s)), or the same path on the mirror at `pdf_url`."""
        if paper.pdf_url is None:
            return None
        link = urlsplit(paper.pdf_url)
        if self.pdf_url:
            return self.pdf_url.rstrip("/") + link.path + (f"?{link.query}" if link.query else "")
        host = (link.hostname or "").lower()
        trusted = host == "arxiv.org" or host.endswith(".arxiv.org") or host == urlsplit(self.api_url).hostname
        if link.scheme not in ("http", "https") or not trusted:
            raise PaperError(
                str(paper.arxiv_id),
                "arXiv's answer gives a PDF link outside arXiv",
                detail=paper.pdf_url,
                hint="pass a local PDF, or set NOTEGEN_PDF_URL to a mirror",
            )
        return paper.pdf_url

    @staticmethod
    def cached_pdf(paper: Paper, cache_dir: Path) -> Path:
        """Where the paper's PDF is kept in `cache_dir` (there or not yet)."""
        return cache_dir / f"{paper.arxiv_id.slug}.pdf"

    def download_pdf(self, paper: Paper, cache_dir: Path, check: Callable[[Path], None]) -> Path:
        """The paper's PDF in `cache_dir`, downloaded once; only a file that passes `check` is kept.

        The download, every try and wait included, ends within `timeout` seconds of getting one of the few
        connections notegen opens to arXiv.
        """
        target = self.cached_pdf(paper, cache_dir)
        if target.is_file():
            log.debug("%s: the PDF from the cache (%s)", paper.arxiv_id, target.name)
            return target
        name = str(paper.arxiv_id)
        url = self.pdf_link(paper)
        if url is None:
            raise PaperError(
                name, "arXiv lists no PDF for this paper", detail="withdrawn?", hint="pass a local PDF instead"
            )
        with atomic_file(target) as staged:
            with self._downloads:  # a few connections at most: polite to arXiv
                deadline = time.monotonic() + self.timeout

                def once() -> None:
                    with self._session.step(deadline):
                        self._download(url, name, staged, deadline)

                started = time.monotonic()
                try:
                    call_with_retries(once, self.attempts, f"{name} PDF", sleep=self._sleep, deadline=deadline)
                except Transient as err:
                    raise PaperError(name, f"{err} {tries(err)}", hint="retry later or pass a local PDF") from err
                log.debug("%s: the PDF downloaded in %.2f s", name, time.monotonic() - started)
            staged.flush()
            check(staged.path)  # read in a bounded worker: its own time limit, not the download's
        return target

    @property
    def timeout(self) -> float:
        return self._session.timeout

    def _download(self, url: str, name: str, out: Staged, deadline: float) -> None:
        """The PDF at `url` into `out` (from its start, whatever an earlier try left there), or an error."""
        try:
            response = self._session.get(url, stream=True)
        except requests.Timeout as err:
            raise Transient(self._too_slow) from err
        except (requests.exceptions.InvalidSchema, requests.exceptions.InvalidURL) as err:
            raise PaperError(name, "the PDF link cannot be downloaded", detail=f"{url}: {type(err).__name__}") from err
        except requests.RequestException as err:  # refused, reset, a malformed answer: worth another try
            raise Transient(f"PDF download failed ({type(err).__name__})") from err
        with response:
            if response.status_code in TRANSIENT_STATUS:
                raise Transient(
                    f"the PDF link answered HTTP {response.status_code}", parse_retry_after(response.headers)
                )
            if response.status_code != 200:
                raise PaperError(name, f"the PDF link answered HTTP {response.status_code}", detail=url)
            out.restart()
            size = 0
            head = b""  # the first bytes, however small the pieces they arrive in
            for chunk in _body(response, deadline, self._too_slow):
                if len(head) < 64:
                    head += chunk[:1024]
                    if len(head) >= 8 and not head.lstrip().startswith(b"%PDF-"):
                        raise _not_pdf(name, head, url)
                size += len(chunk)
                if size > MAX_PDF_BYTES:
                    raise PaperError(name, f"the PDF is larger than {MAX_PDF_BYTES >> 20} MB", hint="pass a local PDF")
                out.write(chunk)
            if size == 0:
                raise PaperError(name, "the PDF link returned an empty body", detail=url, hint="retry later")
            if not head.lstrip().startswith(b"%PDF-"):
                raise _not_pdf(name, head, url)

    @property
    def _too_slow(self) -> str:
        return f"the PDF download did not end within http_timeout ({self.timeout:g} s, every try included)"


def _body(response: requests.Response, deadline: float, too_slow: str) -> Iterator[bytes]:
    try:
        yield from read_within(response, deadline)
    except requests.Timeout as err:
        raise Transient(too_slow) from err
    except requests.ConnectionError as err:
        raise Transient(f"PDF download broke off ({type(err).__name__})") from err
    except requests.exceptions.ChunkedEncodingError as err:
        raise Transient("PDF download broke off") from err


def _not_pdf(name: str, head: bytes, url: str) -> PaperError:
    html = re.search(rb"<(!doctype|html|head|body)", head[:1024], re.IGNORECASE)
    what = "an HTML page, not a PDF" if html else "something that is not a PDF"
    return PaperError(name, f"the PDF link returned {what}", detail=url, hint="retry later or pass a local PDF")


def _not_a_feed(body: bytes) -> str | None:
    """What is wrong with an API answer that is not a whole Atom feed (the arxiv client would read it as "no
    such paper"), or None."""
    if not body.strip():
        return "an empty answer"
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return "a feed cut off or not XML at all"
    if root.tag != "{http://www.w3.org/2005/Atom}feed":
        return f"XML that is not an Atom feed (<{root.tag.rsplit('}', 1)[-1]}>)"
    return None


def _paper(result: arxiv.Result) -> Paper | None:
    arxiv_id = parse_arxiv_id(result.get_short_id())
    if arxiv_id is None:  # an error entry ("Error", api/errors#...) rather than a paper
        return None
    return Paper(
        arxiv_id=arxiv_id,
        title=" ".join(result.title.split()),
        abstract=" ".join(result.summary.split()),
        pdf_url=result.pdf_url,
    )


def _chunks(items: list[ArxivId], size: int) -> Iterator[list[ArxivId]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
