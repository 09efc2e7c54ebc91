"""`rencontres demo`: a whole edition, as it would happen, on a platform of its own.

The demo starts `rencontres up` in a temporary folder (its own ports, SQLite databases unless
others are given, a key prefix of its own on the Redis at REDIS_URL, a local SMTP sink) and
then plays the edition through the same doors people and the team use: the public forms (with
their CSRF tokens), the back-office login, the scheduler's API, the welcome desk, the links of
the emails received, `rencontres surveys run-due --now`. The end-to-end test runs the same
code (`Scenario`) and checks every step.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
import httpx

ROOT = Path(__file__).resolve().parents[1]
ADMIN_EMAIL = "equipe@pes21.fr"
PARIS = ZoneInfo("Europe/Paris")

# The action sheet's partners, who meet the project holders as experts.
PARTNERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("France Active Bourgogne", "finance-solidaire", ("financement-projet", "business-plan")),
    ("Club Entreprises et Mécénat de BFC", "reseau-accompagnement", ("mecenat",)),
    ("Fondation SNCF", "fondation", ("mecenat", "financement-projet")),
    ("Fondation Orange", "fondation", ("mecenat",)),
    ("Fondation Fape EDF", "fondation", ("mecenat", "financement-projet")),
    ("Fondation MMA", "fondation", ("mecenat",)),
    ("MACIF", "autre", ("mecenat", "financement-projet")),
    ("Les Cigales", "finance-solidaire", ("financement-participatif", "financement-projet")),
    ("La plate-forme de finances solidaires", "finance-solidaire", ("financement-participatif",)),
    ("Crédit Coopératif", "banque", ("relation-bancaire", "financement-projet")),
    ("Crédit Mutuel", "banque", ("relation-bancaire",)),
    ("Crédit Agricole", "banque", ("relation-bancaire",)),
    ("Banque Populaire", "banque", ("relation-bancaire", "financement-projet")),
    ("ADIE", "finance-solidaire", ("financement-projet", "budget-previsionnel")),
    ("CAE", "reseau-accompagnement", ("business-plan", "budget-previsionnel")),
    ("BGE Perspectives", "reseau-accompagnement", ("business-plan", "budget-previsionnel")),
)
NEEDS = (
    "financement-projet",
    "mecenat",
    "budget-previsionnel",
    "business-plan",
    "relation-bancaire",
    "financement-participatif",
)
LEGAL_FORMS = ("association", "association", "scop", "scic", "entreprise-esus", "en-creation")
COMMUNES = ("Dijon", "Chenôve", "Beaune", "Talant", "Quetigny", "Longvic", "Auxonne")


@dataclass(frozen=True)
class Figures:
    """The scenario's numbers; the report must show the same."""

    holders_on_time: int = 43
    holders_late: int = 2
    experts: int = len(PARTNERS)
    cancelled: int = 1
    holders_present: int = 40
    day_answers: int = 30  # of the day's questionnaire, through the emailed links
    conference_answers_every: int = 2  # one conference invitation in two is answered
    ex_post_answers: int = 20

    @property
    def holders(self) -> int:
        return self.holders_on_time + self.holders_late

    @property
    def holders_registered(self) -> int:
        return self.holders - self.cancelled

    @property
    def no_shows(self) -> int:
        return self.holders_registered - self.holders_present


# -- the SMTP sink ---------------------------------------------------------------------------
@dataclass
class Received:
    to: str
    subject: str
    message_id: str
    text: str


class Sink:
    """A local SMTP server (aiosmtpd) that keeps every message it accepts."""

    def __init__(self) -> None:
        # Imported here: aiosmtpd is a development dependency, absent from the deployed image.
        from aiosmtpd.controller import Controller

        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        with self._lock:
            for rcpt in envelope.rcpt_tos:
                self.messages.append(
                    Received(
                        to=rcpt.lower(),
                        subject=str(message["Subject"]),
                        message_id=str(message["Message-ID"]),
                        text=text,
                    )
                )
        return "250 OK"

    def start(self) -> int:
        self.controller.start()
        return self.port

    def stop(self) -> None:
        self.controller.stop()

    def count(self) -> int:
        with self._lock:
            return len(self.messages)

    def since(self, start: int) -> list[Received]:
        with self._lock:
            return list(self.messages[start:])


# -- the platform, started by the demo ---------------------------------------------------------
def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    workdir: Path
    env: dict[str, str]
    urls: dict[str, str]
    token: str
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    def prepare(
        cls,
        workdir: Path,
        smtp_port: int,
        redis_url: str,
        bus_prefix: str,
        databases: dict[str, str] | None = None,
    ) -> Stack:
        ports = {name: free_port() for name in ("registration", "scheduler", "notifier", "surveys")}
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        token = secrets.token_urlsafe(32)
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "VAR_DIR": str(workdir / "var"),
            "REDIS_URL": redis_url,
            "BUS_PREFIX": bus_prefix,
            "SECRET_KEY": secrets.token_urlsafe(32),
            "SERVICE_TOKEN": token,
            "NOTIFIER_WORKER_METRICS_PORT": str(free_port()),
            "NOTIFIER_BEAT_METRICS_PORT": str(free_port()),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            # A demo sends 61 forms from one address in a minute, faster than any person.
            "REGISTRATION_FORM_MIN_FILL_SECONDS": "0",
            "REGISTRATION_RATE_PER_IP": "10000",
            "EMAIL_CHANGE_WINDOW_S": "1",
            "EMAIL_POLL_INTERVAL_S": "1",
            # The demo's commands are processes of their own: their events are relayed at
            # the relay's next look, not at their commit.
            "RELAY_INTERVAL_S": "0.05",
        }
        for name, port in ports.items():
            env[f"{name.upper()}_PORT"] = str(port)
            env[f"{name.upper()}_PUBLIC_URL"] = urls[name]
            env[f"{name.upper()}_INTERNAL_URL"] = urls[name]
            if databases and name in databases:
                env[f"{name.upper()}_DATABASE_URL"] = databases[name]
            else:
                env[f"{name.upper()}_DATABASE_URL"] = f"sqlite:///{workdir / 'var' / name}.db"
        return cls(workdir=workdir, env=env, urls=urls, token=token)

    def start(self, timeout: float = 90) -> None:
        (self.workdir / "var").mkdir(parents=True, exist_ok=True)
        log = open(self.workdir / "up.log", "wb")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rencontres.cli", "up"],
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not all(_healthy(f"{u}/healthz") for u in self.urls.values()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"la plateforme n'a pas démarré : voir {self.workdir}/up.log")
            time.sleep(0.3)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def command(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "rencontres.cli", *args],
            cwd=self.workdir,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


# -- reading forms -----------------------------------------------------------------------------
class FormReader(HTMLParser):
    """The fields of the first form with a submit button: hidden values, choices offered."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.choices: dict[str, list[tuple[str, str]]] = {}  # name -> [(type, value)]
        self.required: set[str] = set()
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind == "hidden":
                self.hidden[name] = a.get("value", "")
            else:
                self.choices.setdefault(name, []).append((kind, a.get("value", "")))
            if "required" in a:
                self.required.add(name)
        elif tag == "textarea" and name:
            self.choices.setdefault(name, []).append(("textarea", ""))
        elif tag == "select" and name:
            self._select = name
            self.choices.setdefault(name, [])
            if "required" in a:
                self.required.add(name)
        elif tag == "option" and self._select and a.get("value"):
            self.choices[self._select].append(("option", a["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def read_form(html: str) -> FormReader:
    reader = FormReader()
    reader.feed(html)
    return reader


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if match is None:
        raise RuntimeError("pas de jeton CSRF dans la page")
    return match.group(1)


def survey_answers(html: str, seed: int) -> dict[str, str | list[str]]:
    """Plausible answers to every question of a questionnaire page: ratings high, the rest
    the first option; free texts left empty."""
    form = read_form(html)
    answers: dict[str, str | list[str]] = dict(form.hidden)
    for name, options in form.choices.items():
        kinds = {kind for kind, _ in options}
        values = [v for kind, v in options if kind in ("radio", "option", "checkbox") and v]
        if "radio" in kinds or "option" in kinds:
            numeric = [v for v in values if v.isdigit()]
            if numeric:
                top = sorted(numeric, key=int)
                answers[name] = top[-1 - seed % 2] if len(top) > 1 else top[-1]
            elif values:
                answers[name] = values[0]
        elif "checkbox" in kinds and values:
            answers[name] = [values[0]]
        elif "number" in kinds:
            answers[name] = str(seed % 3)
    return answers


# -- the scenario ----------------------------------------------------------------------------
@dataclass
class Step:
    name: str
    counts: dict[str, int]
    where: str = ""


@dataclass
class Scenario:
    """One edition, step by step; `steps` keeps what each step did."""

    stack: Stack
    sink: Sink
    figures: Figures = field(default_factory=Figures)
    echo: Callable[[str], None] = print
    steps: list[Step] = field(default_factory=list)
    edition_id: str = ""
    day: dt.date = field(default_factory=lambda: dt.date.today() + dt.timedelta(days=14))
    people: dict[str, str] = field(default_factory=dict)  # email -> registration id
    holders: list[str] = field(default_factory=list)  # emails
    experts: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    answered: Counter[str] = field(default_factory=Counter)  # questionnaire kind -> answers
    report_paths: list[Path] = field(default_factory=list)
    # Called after each step is recorded (the browser test looks at the back-office then).
    on_step: Callable[[Scenario, Step], None] | None = None
    admin_password: str = ""

    def __post_init__(self) -> None:
        self.admin = httpx.Client(base_url=self.stack.urls["registration"], timeout=30)
        self.api = {
            name: httpx.Client(
                base_url=url,
                timeout=60,
                headers={"Authorization": f"Bearer {self.stack.token}"},
            )
            for name, url in self.stack.urls.items()
        }

    # -- helpers
    def record(self, name: str, where: str = "", **counts: int) -> None:
        step = Step(name, counts, where)
        self.steps.append(step)
        shown = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items())
        self.echo(f"[{len(self.steps):>2}] {name} : {shown}")
        if where:
            self.echo(f"     → {where}")
        if self.on_step is not None:
            self.on_step(self, step)

    def settle(self, quiet: float = 2.5, timeout: float = 60) -> int:
        """Wait until no email has arrived for `quiet` seconds; returns the total received."""
        deadline = time.monotonic() + timeout
        last, since = self.sink.count(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.2)
            now = self.sink.count()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return now
        return last

    def wait_emails(self, start: int, expected: int, timeout: float = 60) -> list[Received]:
        deadline = time.monotonic() + timeout
        while self.sink.count() - start < expected:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{self.sink.count() - start} email(s) reçu(s) sur {expected} attendus"
                )
            time.sleep(0.1)
        return self.sink.since(start)

    def _register(self, role: str, values: dict[str, Any]) -> None:
        client = httpx.Client(base_url=self.stack.urls["registration"], timeout=30)
        with client:
            page = client.get(f"/inscription/{self.edition_id}/{role}")
            page.raise_for_status()
            data = {"csrf_token": csrf_of(page.text), "site_web": "", **values}
            answer = client.post(f"/inscription/{self.edition_id}/{role}", data=data)
        if answer.status_code != 200 or "Merci" not in answer.text:
            raise RuntimeError(f"inscription refusée ({answer.status_code}) : {values['email']}")

    def register_holder(self, i: int) -> str:
        email = f"porteur{i:02d}@asso-exemple.fr"
        needs = [NEEDS[i % len(NEEDS)], NEEDS[(i + 2) % len(NEEDS)]]
        self._register(
            "porteur",
            {
                "prenom": f"Porteur{i:02d}",
                "nom": "Exemple",
                "email": email,
                "structure": f"Projet solidaire n°{i:02d}",
                "forme": LEGAL_FORMS[i % len(LEGAL_FORMS)],
                "stade": "creation" if i % 3 == 0 else "developpement",
                "commune": COMMUNES[i % len(COMMUNES)],
                "besoin_1": needs[0],
                "besoin_2": needs[1],
                "disponibilite": "journee",
                "conferences": ["conference-matin"] if i % 2 else ["conference-apres-midi"],
                "consentement_partage": "oui",
            },
        )
        self.holders.append(email)
        return email

    def register_expert(self, i: int) -> str:
        organisation, kind, tags = PARTNERS[i]
        email = f"expert{i:02d}@partenaire-exemple.fr"
        self._register(
            "expert",
            {
                "prenom": f"Expert{i:02d}",
                "nom": "Partenaire",
                "email": email,
                "structure": organisation,
                "forme": kind,
                "commune": "Dijon",
                "thematiques": list(tags),
                "disponibilite": "journee",
                "consentement_partage": "oui",
            },
        )
        self.experts.append(email)
        return email

    def present_holders(self) -> list[str]:
        f = self.figures
        on_time = [e for e in self.holders[: f.holders_on_time] if e not in self.cancelled]
        kept = on_time[: len(on_time) - f.no_shows]
        return kept + self.holders[f.holders_on_time :]

    def login(self) -> None:
        password = self.admin_password = secrets.token_urlsafe(18)
        self.stack.command(
            "registration", "admin", "create", "--email", ADMIN_EMAIL, "--password", password
        )
        page = self.admin.get("/admin/login")
        answer = self.admin.post(
            "/admin/login",
            data={"csrf_token": csrf_of(page.text), "email": ADMIN_EMAIL, "password": password},
        )
        if answer.status_code != 303:
            raise RuntimeError(f"connexion refusée ({answer.status_code})")

    def participant_id(self, email: str) -> str:
        if email not in self.people:
            page = self.admin.get("/admin/accueil", params={"edition": self.edition_id, "q": email})
            match = re.search(r"/admin/accueil/([0-9a-f-]{36})/presence", page.text)
            if match is None:
                raise RuntimeError(f"{email} introuvable à l'accueil")
            self.people[email] = match.group(1)
        return self.people[email]

    def schedule(self) -> dict[str, Any]:
        answer = self.api["scheduler"].get("/api/schedule")
        answer.raise_for_status()
        result: dict[str, Any] = answer.json()
        return result

    def wait_planned_holders(self, expected: int, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            answer = self.api["scheduler"].post("/api/schedule/plan")
            answer.raise_for_status()
            draft: dict[str, Any] = answer.json()
            if draft["holders"] >= expected or time.monotonic() > deadline:
                return draft
            time.sleep(0.5)

    # -- the steps, in the order of the day
    def run(self) -> None:
        urls = self.stack.urls
        f = self.figures
        edition = self.api["scheduler"].get("/api/edition")
        edition.raise_for_status()
        settings = edition.json()
        self.edition_id = settings["edition_id"]
        settings["date"] = self.day.isoformat()
        self.api["scheduler"].put("/api/edition", json={"settings": settings}).raise_for_status()
        self.login()
        self.record(
            "Programme de l'édition",
            f"{urls['scheduler']}/admin/edition",
            edition=int(self.edition_id) if self.edition_id.isdigit() else 0,
        )

        start = self.sink.count()
        for i in range(f.experts):
            self.register_expert(i)
        for i in range(f.holders_on_time):
            self.register_holder(i)
        received = self.wait_emails(start, f.experts + f.holders_on_time)
        self.record(
            "Inscriptions par les formulaires",
            f"{urls['registration']}/inscription/{self.edition_id}",
            experts=f.experts,
            porteurs=f.holders_on_time,
            emails_de_confirmation=len(received),
        )

        draft = self.wait_planned_holders(f.holders_on_time)
        self.record(
            "Planification",
            f"{urls['scheduler']}/admin/planning",
            rendez_vous=draft["meetings"],
            porteurs_avec_rendez_vous=draft["holders_with_meeting"],
            borne=draft["bound"],
        )

        start = self.sink.count()
        published = self.api["scheduler"].post("/api/schedule/publish")
        published.raise_for_status()
        people = {
            pid for a in self.schedule()["appointments"] for pid in (a["holder_id"], a["expert_id"])
        }
        received = self.wait_emails(start, len(people))
        self.record(
            "Publication et agendas",
            f"{urls['notifier']}/admin/emails",
            rendez_vous=published.json()["meetings"],
            agendas_envoyes=len(received),
        )

        start = self.sink.count()
        for i in range(f.holders_on_time, f.holders):
            self.register_holder(i)
        for email in self.holders[: f.cancelled]:
            pid = self.participant_id(email)
            page = self.admin.get(f"/admin/participants/{pid}")
            _done(
                self.admin.post(
                    f"/admin/participants/{pid}/annuler", data={"csrf_token": csrf_of(page.text)}
                )
            )
            self.cancelled.append(email)
        total = self.settle()
        self.record(
            "Inscriptions tardives et annulation (re-planification)",
            f"{urls['scheduler']}/admin/planning",
            inscrits_tardifs=f.holders_late,
            annulations=f.cancelled,
            emails=total - start,
        )

        # The no-shows are holders registered on time, who all have meetings by now.
        present = self.present_holders() + self.experts
        for email in present:
            pid = self.participant_id(email)
            page = self.admin.get("/admin/accueil", params={"edition": self.edition_id, "q": email})
            _done(
                self.admin.post(
                    f"/admin/accueil/{pid}/presence",
                    data={"csrf_token": csrf_of(page.text), "present": "1"},
                )
            )
        self.record(
            "Accueil du jour J",
            f"{urls['registration']}/admin/accueil",
            porteurs_presents=f.holders_present,
            experts_presents=f.experts,
        )

        self.absent = [e for e in self.holders if e not in self.cancelled and e not in present]
        ids = [self.participant_id(e) for e in self.absent]
        # The scheduler must have seen every check-in before it decides who is absent.
        time.sleep(1.5)
        start = self.sink.count()
        replan = self.api["scheduler"].post("/api/schedule/no-shows", json={"participant_ids": ids})
        replan.raise_for_status()
        total = self.settle()
        self.record(
            "Absents : re-planification",
            f"{urls['scheduler']}/admin/planning",
            absents=replan.json()["absent"],
            rendez_vous_liberes=replan.json()["released"],
            rendez_vous_ajoutes=replan.json()["added"],
            emails=total - start,
        )

        start = self.sink.count()
        closed = {}
        sessions = [s["session_id"] for s in settings["sessions"] if s["kind"] == "conference"]
        for session_id in [*sessions, "rendez-vous-matin", "rendez-vous-apres-midi", "journee"]:
            answer = self.api["scheduler"].post(f"/api/sessions/{session_id}/close")
            answer.raise_for_status()
            closed[session_id] = answer.json()
        total = self.settle()
        held = sum(
            (c.get("meetings_held") or 0) for k, c in closed.items() if k.startswith("rendez")
        )
        self.record(
            "Clôture des conférences et de la journée",
            f"{urls['scheduler']}/admin/journee",
            sessions=len(closed),
            rendez_vous_tenus=held,
            invitations_aux_questionnaires=total - start,
        )

        self.answer_surveys(self.sink.since(0), day_only=False)
        self.record(
            "Réponses aux questionnaires",
            f"{urls['surveys']}/admin/editions/{self.edition_id}/surveys",
            conferences=self.answered["conference"],
            journee=self.answered["journee"],
        )

        start = self.sink.count()
        later = dt.datetime.combine(self.day, dt.time(18), PARIS) + dt.timedelta(days=43)
        out = self.stack.command("surveys", "run-due", "--now", later.isoformat())
        total = self.settle()
        self.answer_surveys(self.sink.since(start), day_only=False, ex_post=True)
        self.record(
            "Questionnaire de suivi (ex post, 6 semaines plus tard)",
            f"rencontres surveys run-due --now {later:%Y-%m-%dT%H:%M} ({out.strip()})",
            invitations=total - start,
            reponses=self.answered["ex-post"],
        )

        for suffix in ("pdf", "xlsx"):
            answer = self.api["surveys"].get(f"/admin/editions/{self.edition_id}/report.{suffix}")
            answer.raise_for_status()
            path = self.stack.workdir / f"rapport-{self.edition_id}.{suffix}"
            path.write_bytes(answer.content)
            self.report_paths.append(path)
        self.record(
            "Rapport d'évaluation",
            " ; ".join(str(p) for p in self.report_paths)
            + f" ; {urls['surveys']}/admin/editions/{self.edition_id}/report",
            fichiers=len(self.report_paths),
        )

    def answer_surveys(
        self, received: list[Received], day_only: bool, ex_post: bool = False
    ) -> None:
        f = self.figures
        links = [
            (m, match.group(0))
            for m in received
            if (match := re.search(r"https?://\S+/q/[A-Za-z0-9_-]+", m.text))
        ]
        conference_seen = 0
        client = httpx.Client(timeout=30)
        with client:
            for n, (_message, link) in enumerate(links):
                page = client.get(link)
                if page.status_code != 200:
                    continue
                kind = _kind_of(page.text)
                if ex_post:
                    if self.answered["ex-post"] >= f.ex_post_answers:
                        continue
                elif kind == "journee":
                    if self.answered["journee"] >= f.day_answers:
                        continue
                else:
                    conference_seen += 1
                    if conference_seen % f.conference_answers_every:
                        continue
                answer = client.post(link, data=survey_answers(page.text, n))
                if answer.status_code == 200 and "<h1>Merci !</h1>" in answer.text:
                    self.answered["ex-post" if ex_post else kind] += 1


def _done(answer: httpx.Response) -> None:
    """A back-office action answers with a redirect (303) when it is done."""
    if answer.status_code >= 400:
        raise RuntimeError(f"{answer.request.url} : HTTP {answer.status_code}")


def _kind_of(html: str) -> str:
    return "conference" if "onférence" in html.split("<form", 1)[0] else "journee"


def run_demo(
    workdir: Path,
    redis_url: str,
    echo: Callable[[str], None] = print,
    databases: dict[str, str] | None = None,
    bus_prefix: str | None = None,
    figures: Figures | None = None,
    keep: bool = False,
    on_step: Callable[[Scenario, Step], None] | None = None,
) -> Scenario:
    sink = Sink()
    smtp_port = sink.start()
    prefix = bus_prefix or f"demo-{uuid.uuid4().hex[:8]}:"
    stack = Stack.prepare(workdir, smtp_port, redis_url, prefix, databases)
    echo(f"Plateforme de démonstration dans {workdir} (préfixe Redis {prefix})")
    started = time.monotonic()
    stack.start()
    echo(f"Démarrée en {time.monotonic() - started:.0f} s ; SMTP local 127.0.0.1:{smtp_port}")
    scenario = Scenario(stack, sink, figures or Figures(), echo, on_step=on_step)
    try:
        scenario.run()
        echo(
            f"Édition jouée en {time.monotonic() - started:.0f} s : "
            f"{sink.count()} emails reçus par le serveur SMTP local."
        )
        if keep:
            echo("Pages ouvertes (Ctrl-C pour tout arrêter) :")
            echo(f"  back-office  {stack.urls['registration']}/admin  ({ADMIN_EMAIL})")
            for name, url in stack.urls.items():
                echo(f"  {name:<12} {url}")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    finally:
        stack.stop()
        sink.stop()
    return scenario


@click.command(help="Joue une édition complète sur une plateforme lancée pour l'occasion.")
@click.option("--keep", is_flag=True, help="Laisse la plateforme en marche à la fin.")
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=None)
def demo(keep: bool, directory: Path | None) -> None:
    from shared.settings import BaseServiceSettings

    workdir = directory or Path(tempfile.mkdtemp(prefix="rencontres-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    run_demo(workdir, BaseServiceSettings().redis_url, echo=click.echo, keep=keep)
