"""Writes of the notifications app that people make themselves (their preferences)."""
from django.db import transaction

from audit.services import audit_record
from notifications import registry
from notifications.models import Preference


def preferences_of(user) -> dict[str, bool]:
    chosen = dict(Preference.objects.filter(user=user).values_list("kind", "email"))
    return {code: chosen.get(code, True) for code in registry.KINDS}


@transaction.atomic
def preferences_set(*, actor, email_kinds: set[str]) -> dict[str, bool]:
    """`actor` receives by e-mail exactly the kinds in `email_kinds` (only ever their own choices)."""
    unknown = set(email_kinds) - set(registry.KINDS)
    if unknown:
        raise ValueError(f"unknown kinds {sorted(unknown)}")
    before = preferences_of(actor)
    after = {code: code in email_kinds for code in registry.KINDS}
    changed = {code: on for code, on in after.items() if before[code] != on}
    for code, on in changed.items():
        Preference.objects.update_or_create(user=actor, kind=code, defaults={"email": on})
    if changed:
        audit_record(actor=actor, action="notifications.preferences_changed", target=actor, data={"email": changed})
    return after
