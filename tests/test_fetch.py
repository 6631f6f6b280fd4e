"""The arXiv adapter against the loopback arXiv: recorded answers, batching, pacing."""

from contextlib import closing

import pytest

from notegen.errors import FatalError
from notegen.fetch import Arxiv, Throttle
from notegen.ids import ArxivId


def test_throttle_spaces_calls():
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    throttle = Throttle(3.0, clock=lambda: now[0], sleep=sleep)
    with throttle:
        now[0] += 0.5  # the call itself
    now[0] += 1.0
    with throttle:
        pass
    now[0] += 5.0
    with throttle:
        pass
    assert slept == [2.0]


@pytest.mark.shared
def test_recorded_versioned_and_old_style(arxiv):
    client = closing_client(Arxiv(f"{arxiv.url}/api/query", arxiv.url, interval=0.0))
    found = client.lookup([ArxivId("2104.12255", 1)]).found
    assert found["arxiv:2104.12255"].title == "0"
    old = client.lookup([ArxivId("quant-ph/0201082", 1)]).found["arxiv:quant-ph/0201082"]
    assert str(old.arxiv_id) == "quant-ph/0201082v1"
    assert not old.abstract.startswith(" ")
    assert client.pdf_link(old) == f"{arxiv.url}/pdf/quant-ph/0201082v1"


def test_unversioned_id_gets_the_latest_version(arxiv):
    client = closing_client(Arxiv(f"{arxiv.url}/api/query", interval=0.0))
    paper = client.lookup([ArxivId("1605.08386")]).found["arxiv:1605.08386"]
    assert paper.arxiv_id == ArxivId("1605.08386", 1)
    assert paper.pdf_url == "https://arxiv.org/pdf/1605.08386v1"


def test_nonexistent_ids_come_back_missing(arxiv):
    with closing(Arxiv(f"{arxiv.url}/api/query", interval=0.0)) as client:
        lookup = client.lookup([ArxivId("0000.0000")])
    assert lookup.found == {} and lookup.missing == [ArxivId("0000.0000")]


def test_many_ids_are_batched_by_100_and_paced(arxiv):
    ids = [ArxivId(f"2301.{n:05d}") for n in range(150)]
    with closing(Arxiv(f"{arxiv.url}/api/query", interval=0.5)) as client:
        lookup = client.lookup(ids)
    calls = arxiv.api_calls
    assert len(calls) == 2
    assert calls[0].path.count("%2C") == 99 and calls[1].path.count("%2C") == 49
    assert calls[1].at - calls[0].at >= 0.5
    assert len(lookup.missing) == 150


def test_unreachable_arxiv_fails_with_the_setting_to_check():
    client = closing_client(Arxiv("http://127.0.0.1:9/api/query", attempts=2, sleep=lambda s: None))
    with pytest.raises(FatalError) as info:
        client.lookup([ArxivId("1512.03385")])
    assert str(info.value) == (
        "1512.03385: arXiv API unreachable (ConnectionError) after 2 tries; retry later or check "
        "NOTEGEN_ARXIV_URL (http://127.0.0.1:9/api/query)"
    )


_open_clients: list[Arxiv] = []


def closing_client(client: Arxiv) -> Arxiv:
    _open_clients.append(client)
    return client


@pytest.fixture(autouse=True)
def _close_clients():
    yield
    while _open_clients:
        _open_clients.pop().close()
