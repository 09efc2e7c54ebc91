"""The public form sent again with a registered address, through the whole platform.

Nothing stored changes, the page is a new registration's, and the address gets an email with
its personal link (registration -> stream -> notifier -> Celery -> SMTP sink).
"""

from __future__ import annotations

import re

import httpx

from tests.e2e.conftest import Stack, holder_form, register_holder, self_service_token
from tests.support.servers import wait_until


def main_text(html: str) -> str:
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).strip()


def test_a_known_address_gets_its_link_and_nothing_changes(stack: Stack):
    person = holder_form(prenom="Aurore", nom="Bonnefoy", structure="Recyclerie du Val")
    first = register_holder(stack, person)
    [confirmation] = wait_until(
        lambda: stack.emails_to(person["email"]), timeout=60, what="the confirmation email"
    )
    token = self_service_token(confirmation)

    stranger = {
        **person,
        "email": person["email"].upper(),
        "prenom": "Mallory",
        "nom": "Intrus",
        "structure": "Autre chose",
        "consentement_partage": "",
    }
    again = register_holder(stack, stranger)
    assert again.status_code == first.status_code == 200
    assert main_text(again.text) == main_text(first.text)

    emails = wait_until(
        lambda: [m for m in stack.emails_to(person["email"]) if "déjà" in str(m["Subject"])],
        timeout=60,
        what="the already-registered email",
    )
    [notice] = emails
    text = notice.get_body(preferencelist=("plain",)).get_content()
    assert "Bonjour Aurore Bonnefoy" in text
    assert "voici votre lien personnel" in text
    assert self_service_token(notice) == token  # the same personal link
    with httpx.Client(base_url=stack.url("registration"), timeout=10) as client:
        data = client.get(f"/mon-inscription/{token}/donnees.json").json()
    registration = data.get("registration", data)
    assert (registration["first_name"], registration["last_name"]) == ("Aurore", "Bonnefoy")
    assert registration["organisation"] == "Recyclerie du Val"
    assert registration["consent_share_profile"] is True
