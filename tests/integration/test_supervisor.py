"""The supervisor of `rencontres up` on small real processes: a dead one comes back, what it
started dies with it, one that cannot start is retried, a stop leaves nothing behind."""

from __future__ import annotations

import io
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from rencontres import supervisor as sup
from rencontres.supervisor import Supervisor
from tests.support.servers import wait_until


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0): it is gone once its parent (this test) reaps it.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ")[1][0] != "Z"


@pytest.mark.slow
def test_a_dead_process_comes_back_and_a_stop_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # A parent with a child of its own, like `notifier worker` and Celery: both write their pid.
    script = (
        "import os, subprocess, sys, time\n"
        f"folder = {str(tmp_path)!r}\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        "open(os.path.join(folder, f'{os.getpid()}.pid'), 'w').write(str(child.pid))\n"
        "print('prêt', flush=True)\n"
        "time.sleep(600)\n"
    )
    output = io.StringIO()
    supervisor = Supervisor(os.environ, output)
    supervisor.add("parent", [sys.executable, "-c", script])
    supervisor.add("fragile", [sys.executable, "-c", "raise SystemExit(3)"])
    supervisor.add("absent", [str(tmp_path / "no-such-program")])

    def pids() -> dict[int, int]:
        return {int(p.stem): int(p.read_text()) for p in tmp_path.glob("*.pid") if p.read_text()}

    # run() installs signal handlers, so it runs on the main thread; the test acts beside it.
    def scenario() -> None:
        first = wait_until(pids, timeout=20, what="the parent to start")
        ((parent, child),) = first.items()
        os.kill(parent, signal.SIGKILL)
        wait_until(lambda: len(pids()) == 2, timeout=20, what="the parent to be restarted")
        assert not _alive(child), "the dead parent's own child must be killed with it"
        wait_until(
            lambda: re.search(r"fragile s'est arrêté .* \(essai n° 3\)", output.getvalue()),
            timeout=20,
            what="a 3rd attempt",
        )
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(sup, "STOP_WAIT_S", 5.0)
    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            scenario()
        except BaseException as error:  # reported on the main thread below
            errors.append(error)
            os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=guarded)
    thread.start()
    started = time.monotonic()
    code = supervisor.run()
    thread.join()
    if errors:
        raise errors[0]
    assert code == 143
    assert time.monotonic() - started < 60
    log = output.getvalue()
    assert "parent démarré (pid" in log
    assert "parent s'est arrêté (tué par SIGKILL, code de sortie -9)" in log
    assert "relance dans 1 s (essai n° 1)" in log
    assert "parent relancé (pid" in log
    assert re.search(r"^\d\d:\d\d:\d\d parent +\| prêt$", log, re.M)  # prefixed as before
    for attempt, wait in ((1, 1), (2, 2), (3, 4)):
        assert re.search(
            rf"fragile s'est arrêté \(code de sortie 3\) après \d+ s ; relance dans {wait} s "
            rf"\(essai n° {attempt}\)",
            log,
        )
    assert "absent n'a pas pu être lancé (No such file or directory) ; nouvel essai dans 1 s" in log
    assert "nouvel essai dans 2 s (essai n° 2)" in log
    assert "SIGTERM reçu : arrêt de tous les processus" in log
    assert "parent arrêté (tué par SIGTERM" in log
    for parent, child in pids().items():
        assert not _alive(parent) and not _alive(child)
