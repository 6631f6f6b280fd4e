from __future__ import annotations

import ipaddress
import os
import socket
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from notegen.cli import main
from tests.fakes.arxiv_server import HAVE_SHARED, FakeArxiv
from tests.fakes.llm_server import FakeLLM

NEEDS_SHARED = (
    "needs ../shared beside the repository (the real paper PDFs, the recorded arXiv answers, the reference note); "
    "CI has it"
)


def _stand_in() -> tuple[str | None, bool]:
    """The stand-in for another system this run was started under (PYTHONPATH=../shared/tools/windows-like or
    macos-like), and whether it was loaded: a folder named but missing would run the tests as on Linux."""
    for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        name = Path(entry).name
        if name in ("windows-like", "macos-like"):
            loaded = sys.modules.get("sitecustomize")
            where = Path(getattr(loaded, "__file__", "") or "").parent
            return name, where.is_dir() and where.resolve() == Path(entry).resolve()
    return None, False


STAND_IN, STAND_IN_LOADED = _stand_in()


def pytest_configure(config: pytest.Config) -> None:
    if STAND_IN is not None:
        # The processes the tests start (notegen itself, PDF workers) run in other folders: a relative
        # PYTHONPATH (../shared/tools/windows-like, as .ci/run gives it) would not find the stand-in there.
        entries = os.environ["PYTHONPATH"].split(os.pathsep)
        os.environ["PYTHONPATH"] = os.pathsep.join(str(Path(e).resolve()) if e else e for e in entries)
    if STAND_IN is not None and config.option.basetemp is None and not hasattr(os, "getuid"):
        # pytest checks who owns its temp root with os.getuid on any system but Windows; the windows-like
        # stand-in takes getuid away on Linux, so the run gets a temp root of its own, which pytest does not check.
        config.option.basetemp = tempfile.mkdtemp(prefix="notegen-tests-")


def pytest_report_header(config: pytest.Config) -> str | None:
    if STAND_IN is None:
        return None
    return f"run as on another system: {STAND_IN}" + ("" if STAND_IN_LOADED else " (not found: tests skipped)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `shared` run where ../shared is (always in CI) and are skipped, with one reason, elsewhere;
    a run under a stand-in for another system that is not there skips every test, for the same reason."""
    if STAND_IN is not None and not STAND_IN_LOADED:
        skip = pytest.mark.skip(reason=f"{NEEDS_SHARED} (../shared/tools/{STAND_IN})")
        for item in items:
            item.add_marker(skip)
        return
    if HAVE_SHARED:
        return
    skip = pytest.mark.skip(reason=NEEDS_SHARED)
    for item in items:
        if item.get_closest_marker("shared") is not None:
            item.add_marker(skip)


API_KEY = "sk-test-4f9d2c7be1a05e38"  # a value the secrets test looks for in every file and output
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens, a forgotten real call fails at once


def _loopback(address: object) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if not isinstance(host, str):
        return True  # AF_UNIX paths
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test reaches the internet: endpoints point at a closed loopback port and sockets refuse the rest."""
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: object) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
            raise ConnectionRefusedError(f"tests may not reach {address!r}")
        return real_connect(self, address)  # type: ignore[arg-type]

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if isinstance(host, str) and not _loopback(host):
            raise socket.gaierror(f"tests may not resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    for var in ("OPENAI_API_KEY", "NOTEGEN_MODEL", "NOTEGEN_NOTE_NAME", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", f"{CLOSED}/v1")
    monkeypatch.setenv("NOTEGEN_ARXIV_URL", f"{CLOSED}/api/query")
    monkeypatch.setenv("NOTEGEN_PDF_URL", CLOSED)
    monkeypatch.setenv("NOTEGEN_STATE_DIR", str(tmp_path_factory.mktemp("state")))


@pytest.fixture(scope="session")
def arxiv_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeArxiv]:
    with FakeArxiv(tmp_path_factory.mktemp("arxiv-pdfs")) as server:
        yield server  # type: ignore[misc]


@pytest.fixture
def arxiv(arxiv_session: FakeArxiv, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeArxiv]:
    """The loopback arXiv, with the request log and scripts cleared for each test."""
    arxiv_session.requests.clear()
    arxiv_session.script.clear()
    arxiv_session.pdf_script.clear()
    arxiv_session.unasked.clear()
    catalogue, pdfs = dict(arxiv_session.catalogue), dict(arxiv_session.pdfs)
    monkeypatch.setenv("NOTEGEN_ARXIV_URL", f"{arxiv_session.url}/api/query")
    monkeypatch.setenv("NOTEGEN_PDF_URL", arxiv_session.url)
    yield arxiv_session
    arxiv_session.catalogue, arxiv_session.pdfs = catalogue, pdfs


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        monkeypatch.setenv("NOTEGEN_MODEL", "loopback-model")
        yield server  # type: ignore[misc]


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty workspace with a vault, as the current directory."""
    ws = tmp_path / "ws"
    (ws / "notes").mkdir(parents=True)
    monkeypatch.chdir(ws)
    return ws


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> object:
    """Run the CLI in-process as a person would; returns exit code, stdout and stderr."""

    def _run(*args: str) -> Run:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return _run
