"""The warm fork server and its launcher, run for real (decision 0024).

A process started through the launcher must be indistinguishable, to its entry point and to
whoever started it, from ``python ARGS``: argv, working dir, environment, standard streams, exit
code, signals, niceness; and anything a fork cannot serve exactly falls back to ``python ARGS``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest

from conftest import ALGORITHMS, PYTHON, process_gone

LAUNCHER = ALGORITHMS / "mlops_algorithms" / "forkserver" / "launch.py"
IMPORT_TIME = {"PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1"}


def _base_env() -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG")
    return {**{k: os.environ[k] for k in keep if k in os.environ}, **IMPORT_TIME, "PYTHONPATH": str(ALGORITHMS)}


class Server:
    def __init__(self, socket_path: Path, process: subprocess.Popen) -> None:  # type: ignore[type-arg]
        self.socket_path = socket_path
        self.process = process

    def env(self, **extra: str) -> dict[str, str]:
        return {**_base_env(), "MLOPS_FORKSERVER_SOCKET": str(self.socket_path), "MLOPS_FORKSERVER_DEBUG": "1", **extra}

    def launch(self, args: list[str], cwd: Path, env: dict[str, str] | None = None, **popen: object) -> subprocess.Popen:  # type: ignore[type-arg]
        return subprocess.Popen([PYTHON, "-I", "-S", str(LAUNCHER), *args], cwd=cwd, env=env or self.env(), **popen)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    # A short private dir: Unix socket paths are limited to ~100 bytes.
    directory = Path(tempfile.mkdtemp(prefix="fst-"))
    socket_path = directory / "s"
    env = {**_base_env(), "MLOPS_FORKSERVER_PRELOAD": "numpy", "MLOPS_FORKSERVER_DEBUG": "1"}
    process = subprocess.Popen([PYTHON, "-m", "mlops_algorithms.forkserver.server", str(socket_path), "--remove-dir"], env=env, stdin=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not socket_path.exists():
        assert process.poll() is None, "the fork server exited at start"
        assert time.monotonic() < deadline, "the fork server did not listen within 60 s"
        time.sleep(0.02)
    yield Server(socket_path, process)
    assert process.stdin is not None
    process.stdin.close()  # its owner went away: it ends
    assert process.wait(timeout=10) == 0
    assert not socket_path.exists()
    assert not directory.exists(), "its private dir goes with it, even when its owner could not remove it"


REPORT = """
import gc, json, os, sys
import numpy
print(json.dumps({"argv": sys.argv, "cwd": os.getcwd(), "x": os.environ.get("X"), "ppid": os.getppid(), "frozen": gc.get_freeze_count(),
                  "niceness": os.getpriority(os.PRIO_PROCESS, 0), "random": float(numpy.random.rand()),
                  "path0": sys.path[0], "name": __name__}))
print("to stderr", file=sys.stderr)
sys.exit(int(os.environ.get("CODE", "0")))
"""


def _run(server: Server, tmp_path: Path, args: list[str], env: dict[str, str] | None = None, prefix: list[str] | None = None) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    command = [*(prefix or []), PYTHON, "-I", "-S", str(LAUNCHER), *args]
    done = subprocess.run(command, cwd=tmp_path, env=env or server.env(), capture_output=True, text=True, timeout=60)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return done.returncode, json.loads(lines[-1]) if lines else {}, done.stderr


def test_when_a_script_is_launched_then_a_fork_of_the_server_runs_it_as_python_would(server: Server, tmp_path: Path) -> None:
    (tmp_path / "report.py").write_text(REPORT)
    code, seen, stderr = _run(server, tmp_path, ["report.py", "a", "--b"], server.env(X="1", CODE="3"))
    assert code == 3
    assert seen["ppid"] == server.process.pid  # a fork of the server, not a new interpreter
    assert seen["argv"] == ["report.py", "a", "--b"]
    assert seen["cwd"] == str(tmp_path)
    assert seen["x"] == "1"
    assert seen["path0"] == str(tmp_path.resolve())
    assert seen["name"] == "__main__"
    assert "to stderr" in stderr
    assert "fallback" not in stderr


def test_when_a_module_is_launched_with_m_then_it_runs_as_main_on_the_requests_pythonpath(server: Server, tmp_path: Path) -> None:
    package = tmp_path / "lib" / "probe_pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(REPORT)
    env = server.env(PYTHONPATH=f"{tmp_path / 'lib'}{os.pathsep}{ALGORITHMS}")
    code, seen, _ = _run(server, tmp_path, ["-m", "probe_pkg", "train"], env)
    assert code == 0
    assert seen["ppid"] == server.process.pid
    assert seen["argv"][1:] == ["train"]
    assert seen["argv"][0].endswith("__main__.py")


def test_when_the_entry_point_raises_then_the_traceback_is_printed_and_the_code_is_1(server: Server, tmp_path: Path) -> None:
    (tmp_path / "boom.py").write_text("raise ValueError('no such column: price')\n")
    done = server.launch(["boom.py"], tmp_path, stderr=subprocess.PIPE, text=True)
    _, stderr = done.communicate(timeout=60)
    assert done.returncode == 1
    assert "Traceback" in stderr and "ValueError: no such column: price" in stderr
    assert "forkserver" not in stderr and "runpy" not in stderr, "the frames python would print, not the server's"


def test_when_the_launcher_is_terminated_then_the_process_gets_the_signal_and_the_launcher_dies_of_it(server: Server, tmp_path: Path) -> None:
    (tmp_path / "slow.py").write_text(
        "import os, signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *_: (print('got SIGTERM', flush=True), sys.exit(0)))\n"
        "print(os.getpid(), flush=True)\n"
        "time.sleep(60)\n"
    )
    launcher = server.launch(["slow.py"], tmp_path, stdout=subprocess.PIPE, text=True)
    assert launcher.stdout is not None
    pid = int(launcher.stdout.readline())
    launcher.send_signal(signal.SIGTERM)
    assert launcher.stdout.readline().strip() == "got SIGTERM"
    assert launcher.wait(timeout=30) == 0  # the process handled it and exited 0
    (tmp_path / "plain.py").write_text("import os, time\nprint(os.getpid(), flush=True)\ntime.sleep(60)\n")
    launcher = server.launch(["plain.py"], tmp_path, stdout=subprocess.PIPE, text=True)
    assert launcher.stdout is not None
    pid = int(launcher.stdout.readline())
    launcher.send_signal(signal.SIGTERM)
    assert launcher.wait(timeout=30) == -signal.SIGTERM  # as `python plain.py` would have died
    _gone(pid)


def test_when_the_launcher_is_killed_then_the_process_goes_with_it(server: Server, tmp_path: Path) -> None:
    (tmp_path / "plain.py").write_text("import os, time\nprint(os.getpid(), flush=True)\ntime.sleep(60)\n")
    launcher = server.launch(["plain.py"], tmp_path, stdout=subprocess.PIPE, text=True)
    assert launcher.stdout is not None
    pid = int(launcher.stdout.readline())
    launcher.kill()
    launcher.wait(timeout=30)
    _gone(pid)


def _gone(pid: int) -> None:
    assert process_gone(pid, 10), f"process {pid} still runs"


def test_when_the_process_reads_stdin_then_it_reads_the_launchers(server: Server, tmp_path: Path) -> None:
    (tmp_path / "echo.py").write_text("import sys\nprint(sys.stdin.read().upper(), end='')\n")
    done = subprocess.run([PYTHON, "-I", "-S", str(LAUNCHER), "echo.py"], cwd=tmp_path, env=server.env(), input="hello\n", capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stdout == "HELLO\n"


def test_when_the_launcher_runs_niced_then_the_process_runs_at_that_niceness(server: Server, tmp_path: Path) -> None:
    (tmp_path / "report.py").write_text(REPORT)
    _, seen, _ = _run(server, tmp_path, ["report.py"], prefix=["nice", "-n", "7"])
    assert seen["ppid"] == server.process.pid
    assert seen["niceness"] == 7


def test_when_a_fork_runs_then_the_servers_preloaded_objects_stay_out_of_its_collections(server: Server, tmp_path: Path) -> None:
    (tmp_path / "report.py").write_text(REPORT)
    _, seen, _ = _run(server, tmp_path, ["report.py"])
    assert seen["ppid"] == server.process.pid
    # numpy's objects, imported by the server (its preload), are frozen: a full collection skips them.
    assert seen["frozen"] > 10_000


def test_when_two_processes_draw_from_numpys_global_generator_then_they_differ(server: Server, tmp_path: Path) -> None:
    (tmp_path / "report.py").write_text(REPORT)
    draws = {_run(server, tmp_path, ["report.py"])[1]["random"] for _ in range(3)}
    assert len(draws) == 3


@pytest.mark.parametrize(
    ("case", "args", "extra_env"),
    [
        ("a thread setting the server did not import with", ["report.py"], {"OMP_NUM_THREADS": "2"}),
        ("an interpreter option", ["-c", "import report"], {}),
        ("no server", ["report.py"], {"MLOPS_FORKSERVER_SOCKET": "/nonexistent/socket"}),
    ],
)
def test_when_a_fork_cannot_serve_the_request_then_python_runs_it_itself(server: Server, tmp_path: Path, case: str, args: list[str], extra_env: dict[str, str]) -> None:
    (tmp_path / "report.py").write_text(REPORT)
    code, seen, stderr = _run(server, tmp_path, args, server.env(CODE="4", **extra_env))
    assert code == 4, case
    if seen:
        assert seen["ppid"] != server.process.pid, case
    assert "forkserver launcher:" in stderr, case


def test_when_a_peer_sends_garbage_then_the_server_refuses_it_and_keeps_serving(server: Server, tmp_path: Path) -> None:
    for payload in (b"\x00\x00\x00\x05nope!", struct.pack(">I", 1 << 30), b"\x00\x00\x00\x02[]", b"x"):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as peer:
            peer.connect(str(server.socket_path))
            peer.sendall(payload)
            peer.shutdown(socket.SHUT_WR)
            assert peer.recv(1024) == b""  # closed without a fork
    assert oct(server.socket_path.stat().st_mode & 0o777) == oct(0o600)
    (tmp_path / "report.py").write_text(REPORT)
    code, seen, _ = _run(server, tmp_path, ["report.py"])
    assert code == 0 and seen["ppid"] == server.process.pid


def test_when_a_request_carries_a_bad_field_then_it_is_refused_for_a_fallback(server: Server) -> None:
    from mlops_algorithms.forkserver import launch as protocol
    good = {"argv": ["x.py"], "cwd": "/", "env": {}, "executable": os.path.abspath(PYTHON), "niceness": 0}
    for bad in ({"argv": []}, {"argv": [1]}, {"cwd": "relative"}, {"env": {"A": 1}}, {"executable": "/usr/bin/other"}, {"argv": ["-m", "../etc"]}, {"niceness": -5}):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as peer:
            peer.connect(str(server.socket_path))
            with open(os.devnull, "rb") as null:
                socket.send_fds(peer, [protocol.encode({**good, **bad})], [null.fileno()] * 3)
            answer = protocol.receive(peer)
            assert answer is not None and "fallback" in answer, bad


def test_when_the_request_names_other_algorithms_then_the_child_imports_those_not_the_servers(server: Server, tmp_path: Path) -> None:
    """The server's own package is `mlops_algorithms` too: a job's PYTHONPATH (another checkout, a test's fake algorithms) wins."""
    package = tmp_path / "other" / "mlops_algorithms"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("WHICH = 'other'\n")
    (package / "probe.py").write_text("import json, os, mlops_algorithms\nprint(json.dumps({'which': mlops_algorithms.WHICH, 'ppid': os.getppid()}))\n")
    code, seen, _ = _run(server, tmp_path, ["-m", "mlops_algorithms.probe"], server.env(PYTHONPATH=str(tmp_path / "other")))
    assert code == 0
    assert seen == {"which": "other", "ppid": server.process.pid}
