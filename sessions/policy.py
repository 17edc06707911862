"""Who may do what: every permission decision of the app goes through `can()`.

Roles are per committee (see Membership); a guest is invited to one meeting. Nothing is
inherited between committees: a member of one committee sees nothing of another.
"""
from enum import StrEnum

from django.db import connection

from sessions.errors import DomainError, Forbidden, NotFound
from sessions.models import Committee, Meeting, MeetingGuest, Membership


class Action(StrEnum):
    VIEW = "view"                      # see a committee / a published meeting
    MANAGE_COMMITTEE = "manage"        # people, roles, devices, certificates
    PREPARE = "prepare"                # create/edit meetings, agenda, documents, publish
    RECORD_ATTENDANCE = "record_attendance"
    CHECK_IN = "check_in"              # mark oneself present on one's own tablet
    RUN = "run"                        # open/close, current item, speakers, polls
    SPEAK = "speak"                    # request to speak
    VOTE = "vote"                      # may be eligible for polls (eligibility is frozen per poll)
    RECORD_VOTES = "record_votes"      # enter show-of-hands counts, record a vote for a member
    EDIT_MINUTES = "edit_minutes"
    SIGN_AS_SECRETARY = "sign_as_secretary"
    SIGN_AS_CHAIR = "sign_as_chair"
    SET_TELLERS = "set_tellers"        # name the meeting's vote-counting board (not the IT admin)
    SEE_CONFIDENTIAL = "see_confidential"      # open Mật documents and see their titles
    CLEAR_CONFIDENTIAL = "clear_confidential"  # take the Mật mark off a document (with a reason)
    CONSULT = "consult"                # written consultations: create, send, close, see who has answered


def _membership_cache(user) -> dict:
    """Per request or socket action: committee id → this user's active membership (or None)."""
    cache = getattr(user, "_membership_cache", None)
    if cache is None:
        cache = user._membership_cache = {}
    return cache


def membership_of(user, committee_id) -> Membership | None:
    if not user.is_authenticated:
        return None
    cache = _membership_cache(user)
    if committee_id not in cache:
        cache[committee_id] = (
            Membership.objects.filter(user=user, committee_id=committee_id, is_active=True).first()
        )
    return cache[committee_id]


def is_guest(user, meeting: Meeting) -> bool:
    return user.is_authenticated and MeetingGuest.objects.filter(meeting=meeting, user=user).exists()


def is_guest_only(user, meeting: Meeting) -> bool:
    """Invited to this meeting and nothing more: no role in the committee, not its chair or secretary."""
    return not _committee_roles(user, meeting.committee_id) and meeting.chair_id != user.id \
        and meeting.secretary_id != user.id and is_guest(user, meeting)


def sees_restricted_view(user, meeting: Meeting) -> bool:
    """The allow-listed view of a meeting's socket (sessions/guest_view.py): invited guests, and
    anyone who may not see Mật content — the IT admin runs the system, not the meeting."""
    return is_guest_only(user, meeting) or not can(user, Action.SEE_CONFIDENTIAL, meeting)


def _committee_roles(user, committee_id) -> set[str]:
    if not user.is_authenticated:
        return set()
    roles = set()
    m = membership_of(user, committee_id)
    if m is not None:
        roles |= m.roles
    if user.is_superuser:
        roles.add(Membership.Role.ADMIN)
    return roles


def meeting_roles(user, meeting: Meeting) -> set[str]:
    roles = _committee_roles(user, meeting.committee_id)
    if user.is_authenticated:
        # The meeting's own chair and secretary hold those roles for this meeting.
        if meeting.chair_id == user.id:
            roles.add(Membership.Role.CHAIR)
        if meeting.secretary_id == user.id:
            roles.add(Membership.Role.SECRETARY)
        if not roles and is_guest(user, meeting):
            roles.add(Membership.Role.OBSERVER)
    return roles


R = Membership.Role
_MEETING_RULES: dict[Action, set[str]] = {
    Action.PREPARE: {R.SECRETARY, R.ADMIN},
    Action.RECORD_ATTENDANCE: {R.SECRETARY, R.CHAIR, R.ADMIN},
    Action.CHECK_IN: {R.MEMBER, R.CHAIR, R.SECRETARY},
    Action.RUN: {R.CHAIR},
    Action.SPEAK: {R.MEMBER},
    Action.VOTE: {R.MEMBER},
    Action.RECORD_VOTES: {R.SECRETARY},
    Action.EDIT_MINUTES: {R.SECRETARY, R.CHAIR},
    Action.SIGN_AS_SECRETARY: {R.SECRETARY},
    Action.SIGN_AS_CHAIR: {R.CHAIR},
    Action.CLEAR_CONFIDENTIAL: {R.SECRETARY},
    Action.SET_TELLERS: {R.CHAIR, R.SECRETARY},
}
_PREPARERS = {R.SECRETARY, R.ADMIN, R.CHAIR}
# Between meetings (written consultations): the committee's secretary or chair asks, both sign the
# report; answering is decided by the consultation's frozen list of people consulted.
_COMMITTEE_RULES: dict[Action, set[str]] = {
    Action.MANAGE_COMMITTEE: {R.ADMIN},
    Action.PREPARE: {R.SECRETARY, R.ADMIN},
    Action.CONSULT: {R.SECRETARY, R.CHAIR},
    Action.SIGN_AS_SECRETARY: {R.SECRETARY},
    Action.SIGN_AS_CHAIR: {R.CHAIR},
}


def can(user, action: Action, obj) -> bool:
    if isinstance(obj, Committee):
        roles = _committee_roles(user, obj.pk)
        if action == Action.VIEW:
            return bool(roles)
        return bool(roles & _COMMITTEE_RULES.get(action, set()))
    if isinstance(obj, Meeting):
        roles = meeting_roles(user, obj)
        if not roles:
            return False
        if action == Action.VIEW:
            # Drafts are the preparers' business until published.
            return obj.status != Meeting.Status.DRAFT or bool(roles & _PREPARERS)
        if action == Action.MANAGE_COMMITTEE:
            return R.ADMIN in roles
        if action == Action.SEE_CONFIDENTIAL:
            return _may_see_confidential(user, obj, roles) and can(user, Action.VIEW, obj)
        allowed = _MEETING_RULES.get(action, set())
        return bool(roles & allowed) and can(user, Action.VIEW, obj)
    raise TypeError(f"can() does not know objects of type {type(obj).__name__}")


def _may_see_confidential(user, meeting: Meeting, roles: set[str]) -> bool:
    """Separation of duties: the IT admin runs the system, not the meeting, and sees no Mật content."""
    if roles & {R.CHAIR, R.SECRETARY, R.MEMBER}:
        return True
    if R.ADMIN in roles:
        return False
    # A committee observer (non-voting member) reads the meeting's papers; an invited guest does not.
    return R.OBSERVER in roles and bool(_committee_roles(user, meeting.committee_id))


def require(user, action: Action, obj) -> None:
    if not can(user, Action.VIEW, obj):
        raise NotFound()
    if not can(user, action, obj):
        raise Forbidden()


def meeting_for(user, meeting_id, action: Action = Action.VIEW) -> Meeting:
    """The meeting, if this user may do `action` on it; NotFound/Forbidden otherwise."""
    try:
        meeting = _meeting_and_membership(user, int(meeting_id))
    except (ValueError, TypeError):
        raise NotFound() from None
    if meeting is None:
        raise NotFound()
    require(user, action, meeting)
    return meeting


def meeting_for_many(users: list, meeting_id: int, action: Action = Action.VIEW):
    """meeting_for for many users at once (a storm of ballots: voting.ballot_box), in two statements:
    (meeting or None, per user None or the NotFound/Forbidden that meeting_for would raise).
    Roles are read fresh, as for every socket action."""
    meeting = Meeting.objects.select_related("committee").filter(pk=meeting_id).first()
    if meeting is None:
        return None, [NotFound() for _ in users]
    found = {m.user_id: m for m in Membership.objects.filter(
        committee_id=meeting.committee_id, user_id__in={u.pk for u in users}, is_active=True)}
    refused = []
    for user in users:
        user._membership_cache = {meeting.committee_id: found.get(user.pk)}
        try:
            require(user, action, meeting)
        except DomainError as e:
            refused.append(e)
        else:
            refused.append(None)
    return meeting, refused


def _meeting_and_membership(user, meeting_id: int) -> Meeting | None:
    """The meeting with its committee, and the user's membership primed into membership_of's cache,
    in one round trip. Every socket action starts here: two ORM queries cost more CPU to compile
    than to run (docs/decisions-bench.md), so the statement is built once per process; values go
    through the same converters the ORM applies (booleans and dates on SQLite, JSON)."""
    if not 0 < meeting_id < 2**63:
        return None   # what the ORM answers for an id out of the column's range
    plan = _joined_plan()
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, [user.pk if user.is_authenticated else None, meeting_id])
        row = cursor.fetchone()
    if row is None:
        return None
    built, start = [], 0
    for model, columns in plan.parts:
        values = [_converted(row[start + i], col, convs) for i, (col, convs) in enumerate(columns)]
        start += len(columns)
        built.append(None if values[0] is None else model.from_db(connection.alias, [c.target.attname for c, _ in columns], values))
    meeting, committee, membership = built
    Meeting._meta.get_field("committee").set_cached_value(meeting, committee)
    if user.is_authenticated:
        _membership_cache(user)[meeting.committee_id] = membership
    return meeting


class _JoinedPlan:
    def __init__(self):
        aliases = {Meeting: "m", Committee: "c", Membership: "s"}
        self.parts = []
        for model, alias in aliases.items():
            cols = [f.get_col(alias) for f in model._meta.concrete_fields]
            self.parts.append((model, [(c, connection.ops.get_db_converters(c) + c.get_db_converters(connection))
                                       for c in cols]))
        q = connection.ops.quote_name
        select = ", ".join(f"{a}.{q(c.target.column)}" for (_, cols), a in zip(self.parts, "mcs") for c, _ in cols)
        t = {m: q(m._meta.db_table) for m in aliases}
        self.sql = (f"SELECT {select} FROM {t[Meeting]} m JOIN {t[Committee]} c ON c.id = m.committee_id "
                    f"LEFT JOIN {t[Membership]} s ON s.committee_id = m.committee_id AND s.user_id = %s "
                    f"AND s.is_active WHERE m.id = %s")


def _converted(value, col, converters):
    for convert in converters:
        value = convert(value, col, connection)
    return value


_PLANS: dict[str, _JoinedPlan] = {}


def _joined_plan() -> _JoinedPlan:
    plan = _PLANS.get(connection.vendor)
    if plan is None:
        plan = _PLANS[connection.vendor] = _JoinedPlan()
    return plan


def committee_for(user, committee_id, action: Action = Action.VIEW) -> Committee:
    try:
        committee = Committee.objects.get(pk=committee_id)
    except (Committee.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    require(user, action, committee)
    return committee
