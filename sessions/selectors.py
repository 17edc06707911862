"""Read-side queries for meetings: who is convened, attendance, quorum, the speaker queue."""
from django.contrib.auth import get_user_model
from django.db.models import Q

from sessions import quorum as quorum_rules
from sessions.models import AgendaItem, Attendance, Meeting, MeetingGuest, Membership, SpeakerRequest


def display_name(user) -> str:
    return user.get_full_name() or user.get_username()


def user_meetings(user):
    """Meetings this user may see, newest first (drafts only for those who prepare them)."""
    if not user.is_authenticated:
        return Meeting.objects.none()
    if user.is_superuser:
        return Meeting.objects.select_related("committee")
    memberships = Membership.objects.filter(user=user, is_active=True)
    preparer_committees = memberships.filter(Q(is_secretary=True) | Q(is_admin=True) | Q(is_chair=True))
    return (
        Meeting.objects.filter(
            Q(committee__in=memberships.values("committee"), status__in=_VISIBLE)
            | Q(committee__in=preparer_committees.values("committee"))
            | Q(pk__in=MeetingGuest.objects.filter(user=user).values("meeting"), status__in=_VISIBLE)
            | Q(chair=user) | Q(secretary=user)
        )
        .select_related("committee")
        .distinct()
    )


_VISIBLE = [Meeting.Status.PUBLISHED, Meeting.Status.IN_PROGRESS, Meeting.Status.CLOSED, Meeting.Status.CANCELLED]


def committee_members(meeting: Meeting):
    return (
        Membership.objects.filter(committee_id=meeting.committee_id, is_active=True)
        .select_related("user")
        .order_by("-is_chair", "-is_secretary", "id")
    )


def participants(meeting: Meeting) -> list[dict]:
    rows = [
        {
            "user_id": m.user_id,
            "name": display_name(m.user),
            "title": m.title,
            "roles": sorted(m.roles),
            "voting": m.is_voting_member,
            "status": m.status,
        }
        for m in committee_members(meeting)
    ]
    seen = {r["user_id"] for r in rows}
    for guest in MeetingGuest.objects.filter(meeting=meeting).select_related("user"):
        if guest.user_id not in seen:
            rows.append({"user_id": guest.user_id, "name": display_name(guest.user), "title": "",
                         "roles": ["guest"], "voting": False, "status": "active"})
    return rows


def attendance_map(meeting: Meeting) -> dict[str, dict]:
    return {
        str(a.user_id): {"status": a.status, "reason": a.reason}
        for a in Attendance.objects.filter(meeting=meeting)
    }


def quorum_for(meeting: Meeting) -> quorum_rules.Quorum:
    attendance = {a.user_id: a.status for a in Attendance.objects.filter(meeting=meeting)}
    voting = Membership.objects.filter(committee_id=meeting.committee_id, is_active=True, is_voting_member=True)
    standings = [
        quorum_rules.MemberStanding(m.user_id, m.status, attendance.get(m.user_id, Attendance.Status.ABSENT))
        for m in voting
    ]
    c = meeting.committee
    return quorum_rules.evaluate(standings, c.quorum_numerator, c.quorum_denominator)


def _flattened(items, key_of, parent_of) -> list[tuple[object, str]]:
    """Items in agenda order with their numbers ("2", "2.1"): top level, each followed by its children."""
    by_parent: dict = {}
    for item in items:
        by_parent.setdefault(parent_of(item), []).append(item)
    out = []
    for i, top in enumerate(by_parent.get(None, []), start=1):
        out.append((top, f"{i}"))
        out.extend((child, f"{i}.{j}") for j, child in enumerate(by_parent.get(key_of(top), []), start=1))
    return out


def agenda_order(meeting: Meeting) -> list[int]:
    """The ids of `agenda(meeting)`, in its order, without building its rows (the chair's hot path)."""
    rows = AgendaItem.objects.filter(meeting=meeting).order_by("position", "id").values_list("id", "parent_id")
    parent = dict(rows)
    return [item for item, _number in _flattened(list(parent), lambda item: item, parent.get)]


def agenda(meeting: Meeting) -> list[dict]:
    items = AgendaItem.objects.filter(meeting=meeting).select_related("presenter").order_by("position", "id")

    def row(item, number):
        return {
            "id": item.pk, "number": number, "title": item.title, "description": item.description,
            "presenter_id": item.presenter_id,
            "presenter": display_name(item.presenter) if item.presenter else "",
            "planned_minutes": item.planned_minutes, "confidential": item.confidential,
            "parent_id": item.parent_id,
        }

    return [row(item, number) for item, number in _flattened(items, lambda item: item.pk, lambda item: item.parent_id)]


def speaker_queue(meeting: Meeting) -> list[dict]:
    open_requests = (
        SpeakerRequest.objects.filter(meeting=meeting, status__in=[SpeakerRequest.Status.WAITING,
                                                                  SpeakerRequest.Status.SPEAKING])
        .select_related("user").order_by("requested_at", "id")
    )
    return [
        {
            "id": r.pk, "user_id": r.user_id, "name": display_name(r.user), "status": r.status,
            "agenda_item_id": r.agenda_item_id, "requested_at": r.requested_at.isoformat(),
            "started_at": r.started_at.isoformat() if r.started_at else None,
        }
        for r in open_requests
    ]


def speakers_done(meeting: Meeting) -> list[SpeakerRequest]:
    return list(
        SpeakerRequest.objects.filter(meeting=meeting, status=SpeakerRequest.Status.DONE)
        .select_related("user", "agenda_item").order_by("started_at", "id")
    )


def meeting_info(meeting: Meeting) -> dict:
    return {
        "id": meeting.pk, "title": meeting.title, "place": meeting.place,
        "committee": meeting.committee.name, "committee_id": meeting.committee_id,
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat() if meeting.ends_at else None,
        "status": meeting.status, "remote_allowed": meeting.remote_allowed,
        "chair_id": meeting.chair_id, "secretary_id": meeting.secretary_id,
        "opened_at": meeting.opened_at.isoformat() if meeting.opened_at else None,
        "closed_at": meeting.closed_at.isoformat() if meeting.closed_at else None,
    }


def user_by_id(user_id):
    return get_user_model().objects.filter(pk=user_id).first()


def users_by_ids(user_ids: list[int]):
    return get_user_model().objects.filter(pk__in=user_ids).order_by("last_name", "first_name", "pk")


def committee_chair_id(committee_id) -> int | None:
    """The committee's chair (a voting member), proposed as the chair of a new meeting."""
    return (Membership.objects.filter(committee_id=committee_id, is_active=True, is_chair=True, is_voting_member=True)
            .order_by("id").values_list("user_id", flat=True).first())


def guest_candidates(meeting: Meeting) -> list[dict]:
    """Who may be invited: active accounts neither members of the committee nor invited already,
    with the bodies they belong to so that two people of the same name can be told apart."""
    members = Membership.objects.filter(committee_id=meeting.committee_id, is_active=True).values("user")
    invited = MeetingGuest.objects.filter(meeting=meeting).values("user")
    users = list(get_user_model().objects.filter(is_active=True).exclude(pk__in=members).exclude(pk__in=invited))
    bodies: dict[int, list[str]] = {}
    for m in Membership.objects.filter(user__in=users, is_active=True).select_related("committee"):
        bodies.setdefault(m.user_id, []).append(m.committee.name)
    rows = [{"id": u.pk, "name": display_name(u), "where": ", ".join(sorted(bodies.get(u.pk, [])))} for u in users]
    return sorted(rows, key=lambda r: (r["name"].casefold(), r["id"]))
