"""Registration's counters: new registrations and arrivals, by role, never by person."""

from __future__ import annotations

from tests.integration.registration.conftest import (
    csrf_token,
    holder_form,
    participant_rows,
    submit,
)


def sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}} "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name}{{{wanted}}} is not exposed")


def test_registrations_and_check_ins_are_counted_once(admin_client, kit):
    before = admin_client.get("/metrics").text
    # Every known series is there from the start, at its value.
    new_holder = {"role": "porteur", "source": "formulaire"}
    arrived = {"role": "porteur", "change": "arrived"}
    undone = {"role": "porteur", "change": "undone"}
    for name, labels in (
        ("rencontres_registrations_total", new_holder),
        ("rencontres_registrations_total", {"role": "expert", "source": "import"}),
        ("rencontres_check_ins_total", arrived),
    ):
        sample(before, name, **labels)

    submit(admin_client, "porteur", holder_form())
    submit(admin_client, "porteur", holder_form(rdv_max="3"))  # the same email: an update
    [holder] = participant_rows(kit)
    token = csrf_token(admin_client.get("/admin/accueil").text)
    for present in ("1", "1", "0"):  # a second tap changes nothing
        admin_client.post(
            f"/admin/accueil/{holder.participant_id}/presence",
            data={"csrf_token": token, "present": present},
        )

    after = admin_client.get("/metrics").text
    for name, labels, added in (
        ("rencontres_registrations_total", new_holder, 1),
        ("rencontres_check_ins_total", arrived, 1),
        ("rencontres_check_ins_total", undone, 1),
    ):
        assert sample(after, name, **labels) == sample(before, name, **labels) + added, labels
    assert "Camille" not in after and "asso-exemple" not in after.lower()
