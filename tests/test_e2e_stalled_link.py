"""A ballot tapped on a hung link is neither lost nor counted twice, and the tablet says what is happening.

Chromium reaches Daphne through a loopback proxy that can stop forwarding without closing
(tests/stallproxy.py): the Wi-Fi is "connected" but no packet flows.
"""
import re
import time

import pytest
from playwright.sync_api import expect

from sessions.models import ActionReceipt, SpeakerRequest
from tests.browser import chromium, signed_in_page
from tests.stallproxy import StallProxy
from tests.test_voting_services import open_poll, start_meeting
from voting import services
from voting.models import EncryptedBallot, Tally, VoterRecord

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

CONNECTED = "Đã kết nối"


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def proxy(daphne):
    p = StallProxy(daphne.port).start()
    yield p
    p.stop()


def _cast(page, choice):
    card = page.locator(".attention")
    card.get_by_role("button", name=choice, exact=True).click()
    card.get_by_role("button", name="Gửi phiếu").click()
    return card


def test_a_ballot_on_a_stalled_link_is_recorded_once_when_the_link_returns(daphne, proxy, personas, browser):
    p = personas
    start_meeting(p)
    poll = open_poll(p, secret=True, title="Thông qua kế hoạch")
    page = signed_in_page(browser, proxy, "member1")
    page.goto(f"/meetings/{p.meeting.pk}/")
    expect(page.locator("#connection")).to_have_text(CONNECTED)

    # The link hangs in both directions; the member votes.
    proxy.stall()
    stalled_at = time.monotonic()
    panel = _cast(page, "Tán thành")
    expect(panel.get_by_role("button", name="Đang gửi…")).to_be_visible()
    # The header stops claiming a connection within 10 s, and the action is shown as not sent yet.
    expect(page.locator("#connection")).not_to_have_text(CONNECTED, timeout=10000)
    assert time.monotonic() - stalled_at <= 10.5
    expect(page.locator("#connection")).to_have_class("connection offline")
    expect(page.locator("#outbox")).to_contain_text("Chưa gửi được", timeout=10000)
    assert VoterRecord.objects.filter(poll=poll).count() == 0

    # The link comes back: the tablet reconnects by itself and the outbox delivers the ballot.
    proxy.resume()
    expect(page.locator("#connection")).to_have_text(CONNECTED, timeout=30000)
    expect(panel).to_have_count(0, timeout=15000)   # the card goes once the ballot is recorded
    panel = page.locator("#panel-polls")
    expect(panel.locator(".poll-counted")).to_have_text("✔ Phiếu của bạn đã được ghi nhận")
    expect(panel).to_contain_text("Bạn đã chọn: Tán thành")
    assert VoterRecord.objects.filter(poll=poll).count() == 1
    assert EncryptedBallot.objects.filter(poll=poll).count() == 1


def test_a_ballot_whose_reply_was_lost_is_answered_from_its_receipt_not_counted_again(daphne, proxy, personas, browser):
    p = personas
    start_meeting(p)
    poll = open_poll(p, secret=True, title="Thông qua kế hoạch")
    page = signed_in_page(browser, proxy, "member2")
    page.goto(f"/meetings/{p.meeting.pk}/")
    expect(page.locator("#connection")).to_have_text(CONNECTED)

    # Only the way back hangs: the ballot reaches the server, its reply does not reach the tablet.
    proxy.stall(up=False, down=True)
    panel = _cast(page, "Không tán thành")
    deadline = time.monotonic() + 10
    while VoterRecord.objects.filter(poll=poll).count() == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert VoterRecord.objects.filter(poll=poll).count() == 1
    expect(page.locator("#connection")).not_to_have_text(CONNECTED, timeout=10000)
    expect(panel.get_by_role("button", name="Đang gửi…")).to_be_visible()

    proxy.resume()
    expect(page.locator("#connection")).to_have_text(CONNECTED, timeout=30000)
    expect(panel).to_have_count(0, timeout=15000)   # the card goes once the ballot is recorded
    panel = page.locator("#panel-polls")
    expect(panel.locator(".poll-counted")).to_have_text("✔ Phiếu của bạn đã được ghi nhận")
    # Resent with the same key: one record, one ciphertext, one receipt.
    assert VoterRecord.objects.filter(poll=poll).count() == 1
    assert EncryptedBallot.objects.filter(poll=poll).count() == 1
    assert ActionReceipt.objects.filter(user=p.members[1]).count() == 1
    services.poll_close(actor=p.chair, meeting=p.meeting, poll_id=poll.pk)
    assert dict(Tally.objects.filter(poll=poll).values_list("key", "votes")) == {"yes": 0, "no": 1, "abstain": 0}


def test_an_action_pending_across_a_reload_is_still_sent_once(daphne, personas, browser):
    p = personas
    start_meeting(p)
    page = signed_in_page(browser, daphne, "member3")
    blocked = {"on": False}

    def socket_route(ws):
        # While "blocked", the page's socket opens but leads nowhere: not a frame comes back.
        if not blocked["on"]:
            ws.connect_to_server()

    page.context.route_web_socket(re.compile("/ws/meetings/"), socket_route)
    page.goto(f"/meetings/{p.meeting.pk}/")
    expect(page.locator("#connection")).to_have_text(CONNECTED)
    blocked["on"] = True
    page.evaluate("window.meetingClient.retry()")
    page.click("#btn-speak")
    expect(page.locator("#outbox")).to_be_visible()
    assert page.evaluate("JSON.parse(sessionStorage.getItem('mr-outbox-%d')).length" % p.meeting.pk) == 1
    # The member reloads the page; the action survives in the tablet's outbox.
    page.reload()
    expect(page.locator("#outbox")).to_be_visible()
    assert SpeakerRequest.objects.filter(user=p.members[2]).count() == 0
    blocked["on"] = False
    expect(page.locator("#connection")).to_have_text(CONNECTED, timeout=30000)
    expect(page.locator("#outbox")).not_to_contain_text("Chưa gửi được", timeout=15000)
    expect(page.locator("#speaker-queue")).to_contain_text(p.members[2].first_name, timeout=15000)
    assert SpeakerRequest.objects.filter(user=p.members[2]).count() == 1
