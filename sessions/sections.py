"""The meeting's own snapshot sections (other apps register theirs the same way)."""
from sessions import policy, selectors
from sessions.snapshot import register_personal, register_section

register_section("meeting", selectors.meeting_info)
register_section("agenda", selectors.agenda)
register_section("agenda_version", lambda m: m.agenda_version)
register_section("current_item", lambda m: m.current_item_id)
register_section("participants", selectors.participants)
register_section("attendance", selectors.attendance_map)
register_section("quorum", lambda m: selectors.quorum_for(m).as_dict())
register_section("speakers", selectors.speaker_queue)


def _me(meeting, user) -> dict:
    A = policy.Action
    return {
        "user_id": user.pk,
        "name": selectors.display_name(user),
        "roles": sorted(policy.meeting_roles(user, meeting)),
        "can": {a.value: policy.can(user, a, meeting) for a in
                (A.PREPARE, A.RUN, A.RECORD_ATTENDANCE, A.CHECK_IN, A.SPEAK, A.VOTE, A.EDIT_MINUTES)},
    }


register_personal("me", _me)
