"""How the access-matrix test reaches every route and socket action (tests/test_access_matrix.py):
the people, the objects a URL or message names, and the walk over the URL conf."""
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from documents import services as documents_services
from documents.models import Conversion
from minutes import services as minutes_services
from sessions.models import MeetingGuest, Membership
from tests.documents_helpers import make_pdf
from tests.factories import make_user

PERSONAS = ("anonymous", "guest", "member", "other_member", "other_secretary", "secretary", "chair", "admin")
PLACEHOLDER_ID = 987_654  # an id of nothing: the answer then shows only whether the gate let the message in


def walk_routes(resolver=None, namespace="", prefix="") -> dict[str, list[str]]:
    """Every route of the URL conf ('namespace:name', or its pattern when it has no name) with the
    names of its URL arguments. The Django admin's routes count as one, 'admin:*': the admin site
    admits staff only, whichever page it is."""
    resolver = resolver or get_resolver()
    found = {}
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            found.update(walk_routes(p, ns, prefix + str(p.pattern)))
        elif isinstance(p, URLPattern):
            key = f"{namespace}{p.name}" if p.name else prefix + str(p.pattern)
            found["admin:*" if key.startswith("admin:") or prefix.startswith("admin/") else key] = \
                list(p.pattern.regex.groupindex)
    return found


class Cast:
    """The committee from tests/conftest.py's Personas plus the people the matrix needs, one object
    of each kind that URLs name (an agenda item, a document), and a signed-in client per person."""

    def __init__(self, p):
        self.p = p
        self.meeting, self.committee = p.meeting, p.committee
        self.guest = make_user("guest", "Khách Mời")
        MeetingGuest.objects.create(meeting=p.meeting, user=self.guest)
        self.admin = make_user("itadmin", "Quản Trị Hệ Thống")
        Membership.objects.create(committee=p.committee, user=self.admin, is_admin=True, is_voting_member=False)
        self.other_member = make_user("other_member", "Thành Viên Chi Bộ Khác")
        Membership.objects.create(committee=p.other_committee, user=self.other_member)
        self.other_secretary = make_user("other_secretary", "Thư Ký Chi Bộ Khác")
        Membership.objects.create(committee=p.other_committee, user=self.other_secretary, is_secretary=True)
        self.item = p.meeting.agenda_items.order_by("position").first()
        # The committee's CA exists once someone has a signing certificate (its CRL is public).
        minutes_services.credential_issue(actor=p.secretary, committee=p.committee, passphrase="mat-khau-thu-ky")
        self.document = documents_services.document_upload(
            actor=p.secretary, meeting=p.meeting, data=make_pdf(1), original_name="ke-hoach.pdf", title="Kế hoạch")
        self.conversion = Conversion.objects.create(meeting=p.meeting, kind="docx", uploaded_by=p.secretary)
        # A written consultation sent to the committee (members consulted; its first attachment).
        from tests.consultation_helpers import make_consultation
        self.consultation = make_consultation(p, send=False)
        from consultations import services as consultation_services
        self.attachment = consultation_services.attachment_add(
            actor=p.secretary, consultation=self.consultation, data=make_pdf(1), original_name="du-thao.pdf")
        self.consultation = consultation_services.consultation_send(actor=p.secretary, consultation=self.consultation)
        self.users = {"anonymous": None, "guest": self.guest, "member": p.member, "other_member": self.other_member,
                      "other_secretary": self.other_secretary, "secretary": p.secretary, "chair": p.chair,
                      "admin": self.admin}

    def client(self, persona) -> Client:
        client = Client()
        if self.users[persona] is not None:
            client.force_login(self.users[persona])
        return client

    def kwargs(self, route_kwargs) -> dict:
        values = {"meeting_id": self.meeting.pk, "committee_id": self.committee.pk, "item_id": self.item.pk,
                  "document_id": self.document.pk, "poll_id": PLACEHOLDER_ID,
                  "conversion_id": self.conversion.pk,
                  "consultation_id": self.consultation.pk, "attachment_id": self.attachment.pk}
        return {k: values[k] for k in route_kwargs}


def sample_content(h) -> dict:
    """A message body that passes the handler's schema, naming objects that do not exist."""
    content = {}
    for name, field in h.fields.items():
        if not field.required:
            continue
        if field.choices:
            content[name] = field.choices[0]
        else:
            kind = field.kind[0] if isinstance(field.kind, tuple) else field.kind
            content[name] = {int: PLACEHOLDER_ID, str: "x", bool: False, list: [], dict: {}}[kind]
    return content

