"""Badges through HTTP with the operator's session: the PDF read back (every name, the page
count, each QR code's modules against a fresh encoding of the desk address it must carry),
the filters, the scanned badge at the desk, and erasure."""

from __future__ import annotations

import io
import math

import pypdf
import segno

from services.registration.domain.model import parse_profile
from services.registration.service_layer import participants
from services.registration.service_layer.badges import CODE_LENGTH, badge_url, code_in
from shared.db import transaction
from shared.edition import default_edition
from shared.events import Role
from tests.integration.registration.conftest import (
    EDITION,
    csrf_token,
    participant_rows,
)

LONG_ORGANISATION = (
    "Association intercommunale pour le développement de l'économie sociale et solidaire "
    "en Côte-d'Or et dans le Morvan"
)
PEOPLE = [
    (Role.HOLDER, "Éloïse", "Gaëlle-Müller", "Coopérative L'Écume des Jours"),
    (Role.HOLDER, "Jean-Baptiste-Alexandre", "de La Rochefoucauld-Montmorency", LONG_ORGANISATION),
    (Role.EXPERT, "Zoé", "Lefèvre", "Fondation Crédit Coopératif"),
    (Role.EXPERT, "Ægir", "Øster", "France Active Bourgogne"),
]


def _register(kit, role: Role, first: str, last: str, organisation: str, n: int) -> str:
    values = {
        "prenom": first, "nom": last, "email": f"personne{n}@exemple.fr",
        "structure": organisation, "forme": "association" if role is Role.HOLDER else "banque",
    }  # fmt: skip
    profile = parse_profile(role, values, default_edition(), minimal=True)
    with transaction(kit.factory) as session:
        result = participants.register(
            session,
            kit,
            EDITION,
            profile,
            source="sur-place",
            check_dates=False,
            check_capacity=False,
        )
    return str(result.participant_id)


def _read(content: bytes) -> tuple[pypdf.PdfReader, str]:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return reader, "".join("".join(p.extract_text().split()) for p in reader.pages)


def _squash(text: str) -> str:
    return "".join(text.split())


def _modules(image) -> list[list[bool]]:
    """The QR code's dark modules, read from the image (4 pixels a module)."""
    grey = image.convert("L")
    size = grey.width // 4
    return [[grey.getpixel((4 * x + 2, 4 * y + 2)) < 128 for x in range(size)] for y in range(size)]


def _encoded(payload: str) -> list[list[bool]]:
    qr = segno.make_qr(payload, error="m")
    return [[bool(v) for v in row] for row in qr.matrix_iter(scale=1, border=2)]


def test_badges_of_everyone_with_names_whole_and_qr_codes(admin_client, kit):
    ids = [_register(kit, *person, n) for n, person in enumerate(PEOPLE)]
    answer = admin_client.get("/admin/accueil/badges.pdf")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["cache-control"] == "no-store"
    reader, text = _read(answer.content)
    assert len(reader.pages) == 1
    for _role, first, last, organisation in PEOPLE:
        assert _squash(first) in text and _squash(last) in text
        assert _squash(organisation) in text  # wrapped or shrunk, never cut
    assert "PORTEURDEPROJET" in text and "EXPERT/FINANCEUR" in text
    assert "personne0@exemple.fr" not in text

    # One QR code a badge, each carrying the desk's address for that person.
    images = reader.pages[0].images
    read = sorted(str(_modules(image.image)) for image in images)
    assert read == sorted(str(_encoded(badge_url(kit, pid))) for pid in ids)
    for pid in ids:
        url = badge_url(kit, pid)
        assert url.startswith("https://inscriptions.example/admin/accueil/badge/")
        code = code_in(url)
        assert code is not None and len(code) == CODE_LENGTH and pid not in url
        assert url.rsplit("/", 1)[1] in text  # the code printed under the QR


def test_filters_and_a_reprint(admin_client, kit):
    ids = [_register(kit, *person, n) for n, person in enumerate(PEOPLE)]
    _r, holders = _read(admin_client.get("/admin/accueil/badges.pdf?profil=porteurs").content)
    assert "Gaëlle-Müller" in holders and "Lefèvre" not in holders
    _r, experts = _read(admin_client.get("/admin/accueil/badges.pdf?profil=experts").content)
    assert "Lefèvre" in experts and "Øster" in experts and "Gaëlle-Müller" not in experts
    reader, one = _read(admin_client.get(f"/admin/accueil/badges.pdf?personne={ids[2]}").content)
    assert len(reader.pages) == 1 and len(reader.pages[0].images) == 1
    assert "Lefèvre" in one and "Øster" not in one

    bad = admin_client.get("/admin/accueil/badges.pdf?profil=tout-le-monde")
    assert bad.status_code == 400 and "tous, porteurs ou experts" in bad.text
    unknown = admin_client.get("/admin/accueil/badges.pdf?personne=inconnu")
    assert unknown.status_code == 404 and "Pas de badge" in unknown.text

    page = admin_client.get("/admin/participants")
    assert 'href="/admin/accueil/badges.pdf?edition=' in page.text and "Badges (PDF)" in page.text
    assert "Badges (PDF)" in admin_client.get("/admin/accueil").text
    mine = admin_client.get(f"/admin/participants/{ids[2]}")
    assert f"personne={ids[2]}" in mine.text and "Son badge (PDF)" in mine.text


def test_no_one_registered_says_so(admin_client):
    answer = admin_client.get("/admin/accueil/badges.pdf", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/admin/participants?edition=")
    assert "aucun badge à imprimer" in admin_client.get(answer.headers["location"]).text


def test_sixty_badges_make_six_sheets(admin_client, kit):
    names = [(f"Prénom{n}", f"Nom-Élevé{n:02d}") for n in range(60)]
    for n, (first, last) in enumerate(names):
        role = Role.HOLDER if n % 3 else Role.EXPERT
        _register(kit, role, first, last, f"Structure n°{n}", n)
    reader, text = _read(admin_client.get("/admin/accueil/badges.pdf").content)
    assert len(reader.pages) == math.ceil(60 / 10)
    assert all(_squash(last) in text for _first, last in names)


def test_a_scanned_badge_opens_the_desk_on_that_person(admin_client, kit):
    ids = [_register(kit, *person, n) for n, person in enumerate(PEOPLE)]
    url = badge_url(kit, ids[0])
    path = url.removeprefix("https://inscriptions.example")
    answer = admin_client.get(path, follow_redirects=False)
    assert answer.status_code == 303
    desk = admin_client.get(answer.headers["location"])
    assert "Gaëlle-Müller" in desk.text and "Lefèvre" not in desk.text
    assert "1 personne" in desk.text

    # A scanner that types into the desk's search: the address, or the code in lower case.
    for typed in (url, url.rsplit("/", 1)[1].lower()):
        found = admin_client.get("/admin/accueil", params={"q": typed, "partial": "1"})
        assert "Gaëlle-Müller" in found.text and "Lefèvre" not in found.text
    token = csrf_token(desk.text)
    admin_client.post(
        f"/admin/accueil/{ids[0]}/presence", data={"csrf_token": token, "present": "1"}
    )
    assert participant_rows(kit)[0].checked_in_at is not None

    wrong = admin_client.get("/admin/accueil/badge/AAAA-BBBB-CCCC")
    assert wrong.status_code == 200 and "Badge non reconnu" in wrong.text


def test_after_erasure_no_badge_and_no_trace(admin_client, kit):
    ids = [_register(kit, *person, n) for n, person in enumerate(PEOPLE)]
    url = badge_url(kit, ids[2])
    _r, before = _read(admin_client.get("/admin/accueil/badges.pdf").content)
    assert "Lefèvre" in before
    erase = f"/admin/participants/{ids[2]}/effacer"
    token = csrf_token(admin_client.get(erase).text)
    assert admin_client.post(erase, data={"csrf_token": token}).status_code == 200
    _r, after = _read(admin_client.get("/admin/accueil/badges.pdf").content)
    assert "Lefèvre" not in after and "Fondation" not in after and "Øster" in after
    assert admin_client.get(f"/admin/accueil/badges.pdf?personne={ids[2]}").status_code == 404
    scanned = admin_client.get(url.removeprefix("https://inscriptions.example"))
    assert "Badge non reconnu" in scanned.text
