"""The embedded server is never left running: at exit, on error, on SIGTERM and on Ctrl-C, also mid-start.

A stand-in replaces llama.cpp (`EmbeddedServer.command`): a tiny HTTP server script that writes its pid to a
file, can flood stderr, start slowly or crash. Signals go to a child Python process that owns the server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from extract.errors import ModelUnavailable
from extract.model import server
from extract.model.server import EmbeddedServer

pytestmark = [
    pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1"]),
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
]

STUB = textwrap.dedent(
    """
    import os, sys, time
    from http.server import BaseHTTPRequestHandler, HTTPServer
    port, pidfile, delay, flood, crash = sys.argv[1:6]
    open(pidfile, "w").write(str(os.getpid()))
    sys.stderr.write("x" * int(flood)); sys.stderr.flush()
    if crash == "1":
        sys.stderr.write("boom: model file is damaged\\n"); sys.exit(3)
    time.sleep(float(delay))

    class Models(BaseHTTPRequestHandler):
        def do_GET(self):
            body = b'{"object": "list", "data": []}'
            self.send_response(200); self.send_header("content-length", str(len(body))); self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            sys.stderr.write("request\\n")

    HTTPServer(("127.0.0.1", int(port)), Models).serve_forever()
    """
)

# Ctrl-C as in a terminal, whatever the test runner inherited: a shell's background job (`cmd &`) starts with
# SIGINT ignored, its children inherit that, and Python then installs no KeyboardInterrupt handler
AS_IN_A_TERMINAL = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"

OWNER = AS_IN_A_TERMINAL + textwrap.dedent(
    """
    import sys, time, types
    # import extract.model.server without extract/__init__ (which loads the OpenAI SDK): a 3 s saving per test
    package = types.ModuleType("extract")
    package.__path__ = [sys.argv[5]]
    sys.modules["extract"] = package
    from extract.model import server
    stub, pidfile, delay, mode = sys.argv[1:5]
    server.EmbeddedServer.command = (
        lambda self: [sys.executable, stub, str(self.port), pidfile, delay, "0", "0"])
    if mode == "ignore":
        import signal
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("starting", flush=True)
    url = server.embedded_base_url()
    print("ready", url, flush=True)
    if mode == "error":
        raise RuntimeError("the extraction failed")
    if mode == "wait":
        time.sleep(30)
    if mode == "ignore":
        sys.stdin.readline()  # the test has sent SIGTERM: exit normally when told to
    if mode == "fork":
        import multiprocessing
        ctx = multiprocessing.get_context("fork")
        urls = ctx.SimpleQueue()
        def worker():
            urls.put(server.embedded_base_url())
            time.sleep(30)
        child = ctx.Process(target=worker)
        child.start()
        child_url = urls.get()
        child.terminate()
        child.join(10)
        print("child", child.exitcode, child_url, flush=True)
        time.sleep(30)
    """
)


PACKAGE = str(Path(server.__file__).parent)


@pytest.fixture
def stub(tmp_path: Path) -> Path:
    path = tmp_path / "stub_server.py"
    path.write_text(STUB, encoding="utf-8")
    return path


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (
        status.exists() and "\nState:\tZ" in status.read_text(encoding="utf-8")
    )  # a zombie has exited


def gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def read_pid(pidfile: Path, seconds: float = 20.0) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pidfile.exists() and pidfile.read_text(encoding="utf-8"):
            return int(pidfile.read_text(encoding="utf-8"))
        time.sleep(0.05)
    raise AssertionError("the stand-in server never started")


def run_owner(
    stub: Path, tmp_path: Path, *, mode: str, delay: float = 0.0
) -> tuple[subprocess.Popen[str], int]:
    pidfile = tmp_path / "server.pid"
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(stub), str(pidfile), str(delay), mode, PACKAGE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return owner, read_pid(pidfile)


def signal_stops_server(owner: subprocess.Popen[str], pid: int, sig: signal.Signals) -> None:
    owner.send_signal(sig)
    owner.wait(timeout=30)
    assert gone_within(pid, 5), f"embedded server outlived {sig.name}"
    assert owner.returncode != 0


def kill_leftover(pid: int) -> None:
    if alive(pid):
        os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("mode", ["exit", "error"])
def test_server_stops_when_the_process_exits(stub: Path, tmp_path: Path, mode: str) -> None:
    owner, pid = run_owner(stub, tmp_path, mode=mode)
    try:
        owner.wait(timeout=30)
        assert gone_within(pid, 5), "embedded server outlived its process"
    finally:
        kill_leftover(pid)
    assert (owner.returncode == 0) == (mode == "exit")


@pytest.mark.parametrize(
    ("sig", "delay"),
    [(signal.SIGTERM, 0.0), (signal.SIGINT, 0.0), (signal.SIGTERM, 30.0), (signal.SIGINT, 30.0)],
    ids=["sigterm", "ctrl-c", "sigterm-while-starting", "ctrl-c-while-starting"],
)
def test_server_stops_on_signals(stub: Path, tmp_path: Path, sig: signal.Signals, delay: float) -> None:
    owner, pid = run_owner(stub, tmp_path, mode="wait", delay=delay)
    try:
        assert owner.stdout is not None
        if delay == 0.0:
            assert owner.stdout.readline().strip() == "starting"
            assert owner.stdout.readline().startswith("ready")
        else:
            time.sleep(0.3)  # inside start(): the stand-in is running but not answering yet
        signal_stops_server(owner, pid, sig)
    finally:
        kill_leftover(pid)
        if owner.poll() is None:
            owner.kill()


def test_forked_worker_borrows_the_server_and_dies_of_sigterm_without_stopping_it(
    stub: Path, tmp_path: Path
) -> None:
    """A multiprocessing worker forked after the server started uses the parent's server, and a pool's
    `terminate()` ends it at once (killed by SIGTERM, as without this library) without touching the server."""
    owner, pid = run_owner(stub, tmp_path, mode="fork")
    try:
        assert owner.stdout is not None
        assert owner.stdout.readline().strip() == "starting"
        url = owner.stdout.readline().split()[1]
        assert owner.stdout.readline().split() == ["child", str(-signal.SIGTERM), url]
        assert alive(pid), "a forked worker's SIGTERM stopped its parent's server"
        signal_stops_server(owner, pid, signal.SIGTERM)
    finally:
        kill_leftover(pid)
        if owner.poll() is None:
            owner.kill()


def test_sigterm_the_program_ignores_stays_ignored(stub: Path, tmp_path: Path) -> None:
    owner, pid = run_owner(stub, tmp_path, mode="ignore")
    try:
        assert owner.stdout is not None and owner.stdin is not None
        assert owner.stdout.readline().strip() == "starting"
        assert owner.stdout.readline().startswith("ready")
        owner.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert owner.poll() is None and alive(pid), "an ignored SIGTERM ended the program or its server"
        owner.communicate("\n", timeout=30)  # a normal exit still stops the server
        assert owner.returncode == 0
        assert gone_within(pid, 5)
    finally:
        kill_leftover(pid)
        if owner.poll() is None:
            owner.kill()


def test_noisy_server_does_not_block_on_a_full_stderr_pipe(stub: Path, tmp_path: Path) -> None:
    """llama.cpp logs to stderr; an unread pipe fills at 64 KB and freezes the server."""
    pidfile = tmp_path / "noisy.pid"
    with stand_in(stub, pidfile, flood="300000"):
        pid = read_pid(pidfile)
        assert alive(pid)
    assert gone_within(pid, 5)


def test_crash_at_start_reports_the_servers_last_words(stub: Path, tmp_path: Path) -> None:
    embedded = stand_in(stub, tmp_path / "p", crash="1")
    with pytest.raises(ModelUnavailable, match="boom: model file is damaged"):
        embedded.start(wait=10)
    assert embedded.proc is None


def test_server_that_never_answers_is_stopped_at_the_deadline(stub: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="did not answer within"):
        stand_in(stub, tmp_path / "p", delay="30").start(wait=1.0)
    pid = read_pid(tmp_path / "p")
    try:
        assert gone_within(pid, 5)
    finally:
        kill_leftover(pid)


def stand_in(
    stub: Path, pidfile: Path, *, delay: str = "0", flood: str = "0", crash: str = "0"
) -> EmbeddedServer:
    embedded = EmbeddedServer()
    embedded.command = lambda: [  # type: ignore[method-assign]
        sys.executable,
        str(stub),
        str(embedded.port),
        str(pidfile),
        delay,
        flood,
        crash,
    ]
    return embedded


def test_error_inside_the_with_block_stops_the_server(stub: Path, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), stand_in(stub, tmp_path / "p"):
        pid = read_pid(tmp_path / "p")
        raise RuntimeError("extraction failed")
    assert gone_within(pid, 5)


def test_starting_twice_keeps_one_process(stub: Path, tmp_path: Path) -> None:
    embedded = stand_in(stub, tmp_path / "p")
    with embedded.start(wait=10):  # `with` starts again: the running process is kept, not orphaned
        first = read_pid(tmp_path / "p")
        assert embedded.proc is not None and embedded.proc.pid == first
    assert gone_within(first, 5)


BLOCKING_OWNER = AS_IN_A_TERMINAL + textwrap.dedent(
    """
    import sys
    from extract import extract_article
    from extract.model import server
    stub, pidfile, delay = sys.argv[1:4]
    server.EmbeddedServer.command = (
        lambda self: [sys.executable, stub, str(self.port), pidfile, delay, "0", "0"])
    print("extracting", flush=True)
    extract_article("Minister Antov met the envoy in Geneva.", strategy="single-call", cache=False)
    """
)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_blocking_call_starting_the_server_on_its_loop_thread_stops_it_on_signals(
    stub: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    """`extract_article()` runs on a background event loop thread, so the embedded server starts there; the
    signal still arrives in the main thread, which must stop the start in progress."""
    pidfile = tmp_path / "server.pid"
    owner = subprocess.Popen(
        [sys.executable, "-c", BLOCKING_OWNER, str(stub), str(pidfile), "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(PACKAGE).parent,
    )
    pid = read_pid(pidfile)
    try:
        time.sleep(0.3)  # inside start(), on the loop thread: running but not answering yet
        signal_stops_server(owner, pid, sig)
    finally:
        kill_leftover(pid)
        if owner.poll() is None:
            owner.kill()
