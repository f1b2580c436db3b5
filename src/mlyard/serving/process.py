"""Starting, watching and stopping scoring processes.

A scoring process outlives the Python process that deployed it: it runs in its own
session with its stdio in ``service.log``. It starts one of two ways:

* **fork** — a daemonising double fork of the deploying process. The server then
  reuses every module the deployer already imported (scikit-learn alone takes ~2 s
  to import), so it is ready in a fraction of a second. Only for flavors that are
  ``fork_safe``.
* **spawn** — ``python -m mlyard.serving.scoring FOLDER``, a fresh interpreter.

A process is identified by its pid *and* its start time (kept in ``process.json``),
so a recycled pid is never taken for a service, let alone killed.

Example:
    >>> folder = DeploymentDir("/tmp/yard/deployments/svc")  # doctest: +SKIP
    >>> pid = start_server(folder, "spawn")  # doctest: +SKIP
    >>> server_alive(folder)  # doctest: +SKIP
    True
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from typing import NoReturn

import psutil

from mlyard import processes
from mlyard.errors import DeploymentFailedError
from mlyard.serving.spec import DeploymentDir, ProcessInfo

# Starts the server in its own session and exits at once, so the server is never the
# deployer's child: nothing to reap, and it is reparented like a forked server.
_LAUNCHER = """
import subprocess, sys
log, cwd, *cmd = sys.argv[1:]
with open(log, "ab") as out:
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True,
                            close_fds=True, cwd=cwd)
print(proc.pid)
"""


def choose_mode(requested: str, fork_safe: bool) -> str:
    """``"fork"`` or ``"spawn"`` for a requested mode of auto, fork or spawn."""
    if requested != "auto":
        return requested
    can_fork = hasattr(os, "fork") and sys.platform.startswith("linux")
    # Forking from a secondary thread risks locks held by the others at fork time.
    on_main = threading.current_thread() is threading.main_thread()
    return "fork" if can_fork and on_main and fork_safe else "spawn"


def start_server(folder: DeploymentDir, mode: str) -> int:
    """Start the scoring process for ``folder``; return its pid once it exists."""
    pid = _fork_server(folder) if mode == "fork" else _spawn_server(folder)
    folder.write_process(ProcessInfo(pid, processes.started_at(pid) or time.time(), mode))
    return pid


# -- spawn ------------------------------------------------------------------------------
def _spawn_server(folder: DeploymentDir) -> int:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    server = [sys.executable, "-m", "mlyard.serving.scoring", str(folder.path)]
    launched = subprocess.run(
        # -I -S: the launcher needs only the standard library, and starts in ~20 ms.
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            _LAUNCHER,
            str(folder.log_path),
            str(folder.path),
            *server,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    pid = launched.stdout.strip()
    if launched.returncode != 0 or not pid.isdigit():
        raise DeploymentFailedError(
            f"could not start the scoring process: {launched.stderr.strip()[-500:]}",
            fix="check that this Python can run `python -m mlyard.serving.scoring`",
        )
    return int(pid)


# -- fork -------------------------------------------------------------------------------
def _fork_server(folder: DeploymentDir) -> int:
    read_fd, write_fd = os.pipe()
    child = os.fork()
    if child == 0:
        _daemonize(folder, read_fd, write_fd)
    os.close(write_fd)
    try:
        data = b""
        while chunk := os.read(read_fd, 64):
            data += chunk
    finally:
        os.close(read_fd)
        os.waitpid(child, 0)  # the middle process exits at once; reap it
    if not data.strip().isdigit():
        raise DeploymentFailedError(
            f"could not fork the scoring process: {data.decode(errors='replace') or 'no pid'}",
            fix="retry with DeploymentConfig(start='spawn')",
        )
    return int(data)


def _daemonize(folder: DeploymentDir, read_fd: int, write_fd: int) -> NoReturn:
    """In the forked child: start a new session, fork the server, report its pid."""
    code = 1
    try:
        os.close(read_fd)
        os.setsid()
        server = os.fork()
        if server == 0:
            os.close(write_fd)
            code = _run_forked_server(folder)
        else:
            os.write(write_fd, str(server).encode())
            code = 0
    except BaseException:
        code = 1
    finally:
        # Never return into the deployer's code, nor run its atexit or finalizers.
        os._exit(code)


def _run_forked_server(folder: DeploymentDir) -> int:
    os.chdir(folder.path)  # as a spawned server: hold no other directory
    _redirect_stdio(folder)
    _neutralize_inherited_fds()
    _fresh_interpreter_state()
    try:
        from mlyard.serving.scoring.runner import serve

        return serve(folder.path)
    except BaseException:
        traceback.print_exc()
        return 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass


def _redirect_stdio(folder: DeploymentDir) -> None:
    log = os.open(folder.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    for fd in (log, null):
        if fd > 2:  # fresh descriptors no Python object owns: safe to close
            os.close(fd)


def _neutralize_inherited_fds() -> None:
    """Point every inherited descriptor above 2 at /dev/null.

    The deployer's sockets (a listening server, database connections) must not stay
    open here, yet closing them would free their numbers while stale Python objects
    still own them and would close them again later, possibly closing a descriptor
    the server opened since. Duplicating /dev/null over them keeps the numbers taken.
    """
    null = os.open(os.devnull, os.O_RDWR)
    fd_dir = "/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"
    for name in os.listdir(fd_dir):
        fd = int(name)
        if fd > 2 and fd != null:
            try:
                os.dup2(null, fd, inheritable=False)
            except OSError:
                pass
    os.close(null)


def _fresh_interpreter_state() -> None:
    # The deployer's Python streams may be a test runner's capture files or a notebook's.
    sys.stdin = open(0, closefd=False)
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)


# -- watching and stopping --------------------------------------------------------------
def stop_process(pid: int | None, started: float | None = None, timeout: float = 5.0) -> bool:
    """Stop the process (SIGTERM, then SIGKILL after ``timeout``); True if it ran."""
    proc = processes.find(pid, started)
    if proc is None:
        return False
    try:
        proc.terminate()
        if not _wait_gone(proc, timeout):
            proc.kill()
            _wait_gone(proc, timeout)
    except psutil.NoSuchProcess:
        pass
    return True


def _wait_gone(proc: psutil.Process, timeout: float) -> bool:
    # psutil's own wait() never ends for a zombie that is not our child, and an init
    # that does not reap orphans leaves exactly those behind.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if processes.find(proc.pid) is None:
            return True
        time.sleep(0.02)
    return False


def server_alive(folder: DeploymentDir) -> bool:
    """Whether the scoring process recorded in ``folder`` runs."""
    info = folder.read_process()
    return info is not None and processes.alive(info.pid, info.create_time)


def stop_server(folder: DeploymentDir) -> bool:
    """Stop the scoring process recorded in ``folder`` if it runs; True if it did."""
    info = folder.read_process()
    return info is not None and stop_process(info.pid, info.create_time)


# -- ports ------------------------------------------------------------------------------
def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def free_port(host: str, avoid: set[int] | frozenset[int] = frozenset()) -> int:
    """A port nothing listens on at ``host``, outside ``avoid``."""
    for _ in range(100):
        with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = sock.getsockname()[1]
        if port not in avoid:
            return port
    raise DeploymentFailedError(f"found no free port on {host}", field="deployment_config.port")


def port_free(host: str, port: int) -> bool:
    """Whether a server could listen on ``host:port`` now."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True
