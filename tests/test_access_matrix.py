"""The access matrix (issue 15): every HTTP route of the URL conf, every WebSocket endpoint and every
socket action of the handler registry, for each kind of person, with the answer that person gets.

The tables below are the policy. A route, endpoint or action that is added without a row fails
`test_the_tables_cover_exactly_what_the_app_exposes`; a changed answer fails its own test.
"""
import asyncio
import json

import pytest
from channels.db import database_sync_to_async as sync_to_async
from django.db import transaction
from django.urls import reverse

from meetingroom.routing import websocket_urlpatterns
from sessions.protocol import HANDLERS
from tests.access_matrix_cases import PERSONAS, Cast, sample_content, walk_routes
from tests.conftest import session_cookie
from tests.test_voting_services import open_poll, start_meeting

# Not in the smoke set: permissions do not depend on the database engine.

# Columns, in order: anonymous, guest (invited to this meeting), member, other committee's member,
# other committee's secretary, secretary, chair, admin (the committee's IT admin, non-voting).
# HTTP answers: the status code, or "login" for a redirect to the sign-in page.
ROUTES = {
    'home': ('GET', "login 200 200 200 200 200 200 200"),
    'healthz': ('GET', "200 200 200 200 200 200 200 200"),
    'login': ('GET', "200 302 302 302 302 302 302 302"),
    'logout': ('POST', "login login login login login login login login"),  # back to the sign-in page
    'set_language': ('POST', "302 302 302 302 302 302 302 302"),
    'admin:*': ('GET', "login login login login login login login login"),  # staff only: none of them is
    'meeting': ('GET', "login 200 200 404 404 200 200 200"),
    'meeting_console': ('GET', "login 403 403 404 404 200 200 200"),
    'meeting_projector': ('GET', "login 200 200 404 404 200 200 200"),
    'prepare_home': ('GET', "login 200 200 200 200 200 200 200"),
    'prepare_meeting_new': ('GET', "login 404 403 404 404 200 403 200"),
    'prepare_meeting': ('GET', "login 403 403 404 404 200 403 200"),
    'prepare_meeting_edit': ('POST', "login 403 403 404 404 400 403 400"),
    'prepare_item_add': ('POST', "login 403 403 404 404 400 403 400"),
    'prepare_item_edit': ('POST', "login 403 403 404 404 400 403 400"),
    'prepare_item_move': ('POST', "login 403 403 404 404 400 403 400"),
    'prepare_item_delete': ('POST', "login 403 403 404 404 302 403 302"),
    'prepare_guest_invite': ('POST', "login 403 403 404 404 400 403 400"),
    'prepare_publish': ('POST', "login 403 403 404 404 409 403 409"),  # 409: already published
    'prepare_cancel': ('POST', "login 403 403 404 404 302 403 302"),
    'members_import': ('GET', "login 403 403 403 403 403 403 200"),  # the committee's admin only
    'service_worker': ('GET', "200 200 200 200 200 200 200 200"),
    'documents_manage': ('GET', "login 403 403 404 404 200 403 200"),
    'documents_upload': ('POST', "401 403 403 404 404 400 403 400"),
    'documents_list': ('GET', "401 200 200 404 404 200 200 200"),
    'offline_pack': ('GET', "401 200 200 404 404 200 200 200"),
    'document_add_version': ('POST', "401 403 403 404 404 400 403 400"),
    'document_update': ('POST', "401 403 403 404 404 200 403 200"),
    'document_delete': ('POST', "401 403 403 404 404 200 403 200"),
    'document_view': ('GET', "401 404 200 404 404 200 200 200"),  # not shown to guests
    'document_download': ('GET', "401 404 200 404 404 200 200 200"),
    'document_conversion': ('GET', "401 403 403 404 404 200 403 200"),  # an office file being converted
    # One's own notice preferences: the page names no person, so nobody reaches anyone else's.
    'notice_preferences': ('GET', "login 200 200 200 200 200 200 200"),
    'minutes_edit': ('GET', "login 403 403 404 404 200 200 403"),
    'minutes_preview': ('GET', "login 403 403 404 404 200 200 403"),
    'minutes_sign': ('GET', "login 403 403 404 404 200 200 403"),
    'minutes_pdf': ('GET', "login 404 404 404 404 404 404 404"),  # none signed yet: test_minutes_views
    'minutes_verify': ('GET', "login 404 200 404 404 200 200 200"),
    # The organisation CA's public material: verifiers anywhere, no login.
    'ca_crl': ('GET', "200 200 200 200 200 200 200 200"),
    'ca_certificate': ('GET', "200 200 200 200 200 200 200 200"),
    # The vote-counting board: anyone signed in may hold a teller key; the chair and the secretary
    # name the board (not the IT admin); the chair runs the counting (404: no such poll here).
    'teller_key': ('GET', "login 200 200 200 200 200 200 200"),
    'teller_board': ('GET', "login 403 403 404 404 200 200 403"),
    'poll_count': ('GET', "login 403 403 404 404 403 404 403"),
    # Written consultations (an open one, sent to the committee's voting members): members of the
    # committee see it, the secretary and chair manage it; the admin is no voting member, so not
    # consulted; a guest of one meeting is no member of the committee.
    'consultations': ('GET', "login 404 200 404 404 200 200 200"),
    'consultation_new': ('GET', "login 404 403 404 404 200 200 403"),
    'consultation': ('GET', "login 404 200 404 404 200 200 200"),
    'consultation_edit': ('GET', "login 404 403 404 404 409 409 403"),  # 409: sent, not editable
    'consultation_question_add': ('POST', "login 404 403 404 404 409 409 403"),  # 409: sent, not editable
    'consultation_question_remove': ('POST', "login 404 403 404 404 409 409 403"),
    'consultation_attachment_add': ('POST', "login 404 403 404 404 400 400 403"),  # 400: no file
    'consultation_attachment_remove': ('POST', "login 404 403 404 404 409 409 403"),  # 409: already sent
    'consultation_attachment': ('GET', "login 404 200 404 404 200 200 404"),
    'consultation_conversion_dismiss': ('POST', "login 404 403 404 404 409 409 403"),  # 409: already sent
    'consultation_send': ('POST', "login 404 403 404 404 409 409 403"),  # 409: already sent
    'consultation_answer': ('POST', "login 404 400 404 404 400 400 403"),  # 400: no answers; 403: not consulted
    'consultation_close': ('POST', "login 404 403 404 404 302 302 403"),
    'consultation_report_sign': ('GET', "login 404 403 404 404 200 200 403"),
    'consultation_report_pdf': ('GET', "login 404 404 404 404 404 404 404"),  # open: no report yet
}

# Socket endpoints: "open", or the close code the server answers with.
WS_ENDPOINTS = {
    "ws/meetings/<int:meeting_id>/": ("4401 open open 4404 4404 open open open",),
    "ws/minutes/<int:meeting_id>/": ("4401 4403 4403 4404 4404 open open 4403",),
}

# Socket actions, sent by each person on an open meeting socket (people who cannot open one are
# "-"), with a valid body naming no real object: "ok", or the error code. "forbidden" is the
# permission gate (sessions/policy.py); anything else means the gate let the message through.
SOCKET_ACTIONS = {
    'agenda.current': ('- forbidden forbidden - - forbidden invalid forbidden',),
    'annotation.delete': ('- not_found not_found - - not_found not_found not_found',),
    'annotation.save': ('- not_found not_found - - not_found not_found not_found',),
    'attendance.check_in': ('- forbidden ok - - ok ok forbidden',),
    'attendance.set': ('- forbidden forbidden - - not_found not_found not_found',),
    'document.lead': ('- not_found not_found - - not_found not_found not_found',),
    'document.list': ('- ok ok - - ok ok ok',),
    'document.stop_leading': ('- ok ok - - ok ok ok',),
    'meeting.close': ('- forbidden forbidden - - forbidden conflict forbidden',),
    'meeting.open': ('- forbidden forbidden - - forbidden conflict forbidden',),
    'poll.cancel': ('- forbidden forbidden - - forbidden not_found forbidden',),
    'poll.close': ('- forbidden forbidden - - forbidden not_found forbidden',),
    'poll.create': ('- forbidden forbidden - - forbidden invalid forbidden',),
    'poll.open': ('- forbidden forbidden - - forbidden not_found forbidden',),
    'poll.publish': ('- forbidden forbidden - - forbidden not_found forbidden',),
    'poll.record_counts': ('- forbidden forbidden - - not_found forbidden forbidden',),
    'poll.record_vote': ('- forbidden forbidden - - invalid forbidden forbidden',),
    'poll.turnout_detail': ('- forbidden forbidden - - ok ok forbidden',),
    'poll.update': ('- forbidden forbidden - - forbidden not_found forbidden',),
    'poll.vote': ('- not_eligible ok - - ok ok not_eligible',),
    'speaker.clear': ('- forbidden forbidden - - forbidden ok forbidden',),
    'speaker.finish': ('- forbidden forbidden - - forbidden ok forbidden',),
    'speaker.grant': ('- forbidden forbidden - - forbidden conflict forbidden',),
    'speaker.request': ('- forbidden ok - - ok ok forbidden',),
    'speaker.withdraw': ('- forbidden ok - - ok ok forbidden',),
}


def test_the_tables_cover_exactly_what_the_app_exposes():
    assert set(ROUTES) == set(walk_routes()), "a route has no row in ROUTES (or a row names no route)"
    assert set(WS_ENDPOINTS) == {str(p.pattern) for p in websocket_urlpatterns}
    assert set(SOCKET_ACTIONS) == set(HANDLERS), "a socket action has no row in SOCKET_ACTIONS"
    for table in (ROUTES, WS_ENDPOINTS, SOCKET_ACTIONS):
        for row in table.values():
            assert len(row[-1].split()) == len(PERSONAS)


def _answer(response) -> str:
    if response.status_code == 302 and "/login/" in response["Location"]:
        return "login"
    return str(response.status_code)


def _http_answer(cast, persona, route, method) -> str:
    client = cast.client(persona)
    if route == "admin:*":
        from django.contrib import admin
        urls = [reverse("admin:index")] + [
            reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist") for m in admin.site._registry]
        answers = {_answer(client.get(url)) for url in urls}
        return answers.pop() if len(answers) == 1 else "/".join(sorted(answers))
    url = reverse(route, kwargs=cast.kwargs(walk_routes()[route]))
    return _answer(client.post(url) if method == "POST" else client.get(url))


@pytest.mark.django_db
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_every_route_answers_each_person_as_the_table_says(personas, route):
    cast = Cast(personas)
    method, expected = ROUTES[route]
    got = []
    for persona in PERSONAS:
        with transaction.atomic():  # what one person changes (a deletion, a publish) is undone for the next
            got.append(_http_answer(cast, persona, route, method))
            transaction.set_rollback(True)
    assert " ".join(got) == expected, f"{route}: {' '.join(got)!r}"


async def _open(daphne, cookie, path):
    import websockets

    headers = {"Origin": daphne.http}
    if cookie:
        headers["Cookie"] = f"sessionid={cookie}"
    return await websockets.connect(daphne.ws + "/" + path, additional_headers=headers, open_timeout=10)


async def _endpoint_answer(daphne, cookie, path) -> str:
    import websockets

    ws = await _open(daphne, cookie, path)
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 1)
    except asyncio.TimeoutError:
        return "open"  # still open and talking (or quietly waiting for hello)
    except websockets.ConnectionClosed as e:
        return str(e.rcvd.code if e.rcvd else "closed")
    finally:
        await ws.close()


@pytest.mark.django_db(transaction=True)
async def test_every_socket_endpoint_answers_each_person_as_the_table_says(daphne, personas):
    cast = await sync_to_async(Cast)(personas)
    cookies = {k: (await sync_to_async(session_cookie)(u) if u else None) for k, u in cast.users.items()}
    for pattern, (expected,) in WS_ENDPOINTS.items():
        path = pattern.replace("<int:meeting_id>", str(cast.meeting.pk))
        got = [await _endpoint_answer(daphne, cookies[p], path) for p in PERSONAS]
        assert " ".join(got) == expected, f"{pattern}: {' '.join(got)!r}"


@pytest.mark.django_db(transaction=True)
async def test_every_socket_action_answers_each_person_as_the_table_says(daphne, personas):
    """Each person opens a meeting socket and sends every action. The chair goes last and, among
    its actions, closes the meeting last, so nobody acts on a meeting someone else already ended.
    Actions naming a poll name the open one where the answer depends on the poll (who may vote,
    who may see turnout); the others name nothing real, so only the permission gate shows."""
    from tests.wsclient import MeetingSocket

    cast = await sync_to_async(Cast)(personas)
    # A running meeting with an open poll: voting is then judged by the poll's frozen list of voters.
    poll_id = await sync_to_async(lambda: (start_meeting(personas), open_poll(personas).pk)[1])()
    real = {"poll.vote": {"poll_id": poll_id, "choice": "yes"}, "poll.turnout_detail": {"poll_id": poll_id}}
    order = sorted(HANDLERS, key=lambda t: t == "meeting.close")
    got = {t: {} for t in HANDLERS}
    for persona in ("anonymous", "other_member", "other_secretary", "guest", "member", "admin", "secretary", "chair"):
        user = cast.users[persona]
        cookie = await sync_to_async(session_cookie)(user) if user else None
        sock = await MeetingSocket.connect(daphne, cookie, cast.meeting.pk, hello=False)
        try:
            first = json.loads(await asyncio.wait_for(sock.ws.recv(), 1))
            refused = first["type"] == "error" and first["content"]["code"] == "refused"
        except asyncio.TimeoutError:
            refused = False  # accepted: the server waits for hello
        if refused:  # it can send nothing
            for t in HANDLERS:
                got[t][persona] = "-"
            await sock.close()
            continue
        await sock.hello()
        for t in order:
            reply = await sock.request(t, real.get(t) or sample_content(HANDLERS[t]))
            got[t][persona] = "ok" if reply["type"] == "ok" else reply["content"]["code"]
        await sock.close()
    observed = {t: " ".join(got[t][p] for p in PERSONAS) for t in HANDLERS}
    expected = {t: row for t, (row,) in SOCKET_ACTIONS.items()}
    assert observed == expected, "\n".join(f"{t!r}: ({observed[t]!r},)," for t in sorted(observed))
