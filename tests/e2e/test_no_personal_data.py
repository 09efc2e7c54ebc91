"""A person's details stay in the databases: none in the logs, the metrics or the streams.

A whole flow with distinctive details (registered through the public form, confirmation email
sent, personal page opened, profile changed from it), then every place an operator or another
application can read is searched for them and for the personal link's token.
"""

from __future__ import annotations

import re

import httpx

from tests.e2e.conftest import Stack, holder_form, register_holder, self_service_token
from tests.support.servers import wait_until

PERSON = holder_form(
    prenom="Zéphyrine",
    nom="Quillardet",
    email="zephyrine.quillardet-7391@atelier-velocipede.example",
    telephone="06 47 82 19 53",
    structure="Atelier Vélocipède Quillardet",
    accessibilite="Fauteuil roulant",
)


def forms_of(value: str) -> set[str]:
    """The ways a value may be written: as typed, lower case, a phone number's digits."""
    forms = {value, value.lower()}
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 9:
        forms |= {digits, "+33" + digits[1:], digits[1:]}
    return forms


def test_personal_data_appears_in_no_log_metric_or_stream(stack: Stack):
    register_holder(stack, PERSON)
    emails = wait_until(
        lambda: stack.emails_to(PERSON["email"]), timeout=60, what="the confirmation email"
    )
    token = self_service_token(emails[0])
    with httpx.Client(base_url=stack.url("registration"), timeout=10) as client:
        page = client.get(f"/mon-inscription/{token}")
        assert page.status_code == 200
        assert "Quillardet" in page.text  # the flow did reach the person's own page
        assert client.get(f"/mon-inscription/{token}/donnees.json").status_code == 200
    # Once more through the form: a known email asks for the personal link, a new event.
    before = len(stack.stream_entries())
    register_holder(stack, {**PERSON, "rdv_max": "3"})
    wait_until(
        lambda: len(stack.stream_entries()) > before, timeout=30, what="the link-requested event"
    )

    secrets = {
        "email": forms_of(PERSON["email"]) | {PERSON["email"].split("@")[0]},
        "phone": forms_of(PERSON["telephone"]),
        "first name": forms_of(PERSON["prenom"]),
        "last name": forms_of(PERSON["nom"]),
        "self-service token": {token},
    }
    places = {"the `rencontres up` output": stack.log}
    for process, page in stack.metrics().items():
        places[f"/metrics of {process}"] = page
    entries = stack.stream_entries()
    assert entries, "no stream entry under the prefix: the flow did not reach the bus"
    for stream, fields in entries:
        text = " ".join(
            f"{k.decode(errors='replace')}={v.decode(errors='replace')}" for k, v in fields.items()
        )
        places[f"stream {stream}"] = places.get(f"stream {stream}", "") + "\n" + text

    found = [
        f"{what} in {where}"
        for where, text in places.items()
        for what, values in secrets.items()
        if any(value in text or value in text.lower() for value in values)
    ]
    assert not found, found
    # No personal link at all, whoever it belongs to.
    for where, text in places.items():
        assert not re.search(r"/mon-inscription/[A-Za-z0-9_\-]{8,}", text), where
