"""The processes of `rencontres up`: started, restarted when they die, all stopped on Ctrl-C.

Honcho stops everything when one process ends and cannot restart one, supervisord gives up on a
process after a few quick failures and writes the output to files, circus brings ZeroMQ and
Tornado: this is the small supervisor the platform needs on one machine (docs/architecture.md).
Honcho still prints the output, one prefix per process as `honcho start` does.

Each child runs in a session of its own, so that a signal reaches it with its own children
(the Celery processes) and what a dead child leaves behind can be killed with it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import IO

from honcho.colour import get_colours
from honcho.printer import Message, Printer

BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 30.0
# A process that ran this long before dying was working: its next restart waits BACKOFF_FIRST_S.
STABLE_AFTER_S = 60.0
# How long the processes have to stop on Ctrl-C before they are killed.
STOP_WAIT_S = 10.0
# The supervisor wakes when a child exits (SIGCHLD) or a restart is due, and at least this
# often in case a signal was missed.
LOOK_EVERY_S = 5.0
SYSTEM_NAME = "rencontres"
# The exit code of `rencontres up` when stopped by a signal, as a shell gives it.
STOP_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


def next_attempt(previous: int, ran_for: float) -> int:
    """The restart count of a process that died after `ran_for` seconds, `previous` restarts
    in a row before that run (0 for the first start)."""
    return 1 if ran_for >= STABLE_AFTER_S else previous + 1


def restart_delay(attempt: int) -> float:
    """Seconds before the `attempt`-th restart in a row: 1, 2, 4… up to 30, then 30 forever."""
    return min(BACKOFF_FIRST_S * 2 ** min(attempt - 1, 16), BACKOFF_MAX_S)


def describe_exit(code: int) -> str:
    """An exit code as the operator reads it (Popen gives -N for a signal N)."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"tué par {name}, code de sortie {code}"
    return f"code de sortie {code}"


@dataclass
class Child:
    name: str
    argv: Sequence[str]
    colour: str | None
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    attempt: int = 0
    restart_at: float | None = None
    stop_last: bool = False


class Supervisor:
    def __init__(self, env: Mapping[str, str], output: IO[str]) -> None:
        self._env = dict(env)
        self._printer = Printer(output)
        self._printer.width = len(SYSTEM_NAME)
        self._print_lock = threading.Lock()
        self._colours = get_colours()
        self._children: list[Child] = []
        self._readers: list[threading.Thread] = []
        self._stop_signal: int | None = None

    def add(
        self,
        name: str,
        argv: Sequence[str],
        running: subprocess.Popen[bytes] | None = None,
        stop_last: bool = False,
    ) -> None:
        """A process to keep running; `running` if it was started already (in a session of its
        own), `stop_last` for one the others need until they have stopped (Redis)."""
        child = Child(name, list(argv), next(self._colours), stop_last=stop_last)
        if running is not None:
            child.process, child.started_at = running, time.monotonic()
        self._children.append(child)
        self._printer.width = max(self._printer.width, len(name))

    def run(self) -> int:
        """Start every process and keep them running until SIGINT or SIGTERM; the exit code."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in STOP_CODES}
        # The loop sleeps until a signal comes (a child's exit is SIGCHLD) or a restart is
        # due: each signal writes a byte to this pipe, which wakes the select below.
        wake_r, wake_w = os.pipe()
        for fd in (wake_r, wake_w):
            os.set_blocking(fd, False)
        previous_fd = signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
        previous[signal.SIGCHLD] = signal.signal(signal.SIGCHLD, _noticed)
        try:
            for child in self._children:
                if child.process is None:
                    self._start(child)
            while self._stop_signal is None:
                now = time.monotonic()
                for child in self._children:
                    if child.process is not None and _exited(child.process):
                        self._died(child, child.process, now)
                    elif child.restart_at is not None and now >= child.restart_at:
                        self._start(child)
                if self._stop_signal is None:
                    _sleep_until_woken(wake_r, self._next_restart_in())
        finally:
            self._stop_all()  # also when the loop itself failed: no child is left running
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            signal.set_wakeup_fd(previous_fd)
            os.close(wake_r)
            os.close(wake_w)
        for reader in self._readers:
            reader.join(timeout=2)
        return STOP_CODES[signal.Signals(self._stop_signal or signal.SIGTERM)]

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stop_signal = signum

    def _next_restart_in(self) -> float:
        """Seconds until the next restart is due, at most LOOK_EVERY_S."""
        now = time.monotonic()
        due = [c.restart_at - now for c in self._children if c.restart_at is not None]
        return max(0.0, min([LOOK_EVERY_S, *due]))

    def _start(self, child: Child) -> None:
        try:
            process = subprocess.Popen(
                child.argv,
                env=self._env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as error:  # no memory or no process left to fork: try again later
            child.attempt += 1
            delay = restart_delay(child.attempt)
            child.restart_at = time.monotonic() + delay
            self._say(
                f"{child.name} n'a pas pu être lancé ({error.strerror}) ; "
                f"nouvel essai dans {delay:.0f} s (essai n° {child.attempt})"
            )
            return
        child.process, child.started_at, child.restart_at = process, time.monotonic(), None
        if child.attempt:
            self._say(f"{child.name} relancé (pid {process.pid}, essai n° {child.attempt})")
        else:
            self._say(f"{child.name} démarré (pid {process.pid})")
        reader = threading.Thread(target=self._relay, args=(child, process), daemon=True)
        reader.start()
        self._readers = [r for r in self._readers if r.is_alive()] + [reader]

    def _relay(self, child: Child, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None  # stdout=PIPE
        for line in iter(process.stdout.readline, b""):
            self._write(child.name, child.colour, line)
        process.stdout.close()

    def _died(self, child: Child, process: subprocess.Popen[bytes], now: float) -> None:
        code = _reap(process)
        ran_for = now - child.started_at
        child.attempt = next_attempt(child.attempt, ran_for)
        delay = restart_delay(child.attempt)
        child.process, child.restart_at = None, now + delay
        self._say(
            f"{child.name} s'est arrêté ({describe_exit(code)}) après {ran_for:.0f} s ; "
            f"relance dans {delay:.0f} s (essai n° {child.attempt})"
        )

    def _stop_all(self) -> None:
        if self._stop_signal is not None and any(c.process for c in self._children):
            name = signal.Signals(self._stop_signal).name
            self._say(f"{name} reçu : arrêt de tous les processus")
        self._stop([c for c in self._children if not c.stop_last])
        self._stop([c for c in self._children if c.stop_last])

    def _stop(self, children: list[Child]) -> None:
        running = [(c, c.process) for c in children if c.process is not None]
        for _child, process in running:
            _signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_WAIT_S
        while time.monotonic() < deadline and not all(_exited(p) for _c, p in running):
            time.sleep(0.1)
        for child, process in running:
            if not _exited(process):
                self._say(f"{child.name} ne s'est pas arrêté en {STOP_WAIT_S:.0f} s : SIGKILL")
            self._say(f"{child.name} arrêté ({describe_exit(_reap(process))})")
            child.process = None

    def _say(self, text: str) -> None:
        self._write(SYSTEM_NAME, None, text + "\n")

    def _write(self, name: str, colour: str | None, data: bytes | str) -> None:
        message = Message(type="line", data=data, time=dt.datetime.now(), name=name, colour=colour)
        with self._print_lock:
            self._printer.write(message)


def _noticed(_signum: int, _frame: FrameType | None) -> None:
    """SIGCHLD: nothing to do here, the byte written to the wake-up pipe wakes the loop."""


def _sleep_until_woken(wake: int, timeout_s: float) -> None:
    select.select([wake], [], [], timeout_s)
    with contextlib.suppress(BlockingIOError):
        while os.read(wake, 512):
            pass


def _exited(process: subprocess.Popen[bytes]) -> bool:
    """Whether the process ended, leaving it unreaped so that its pid still names its group."""
    if process.returncode is not None:
        return True
    found = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    return found is not None


def _reap(process: subprocess.Popen[bytes]) -> int:
    """Kill whatever the process's session still holds (its own children), then reap it."""
    if process.returncode is None:
        _signal_group(process.pid, signal.SIGKILL)
    return process.wait()


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
