"""Writes to the minutes: draft creation and CRDT updates, certificates, signing, publishing."""
import contextlib

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from meetingroom import blobstore
from minutes import crdt, ltv, render, selectors, signing, tokens
from minutes.models import CertificateAuthority, Minutes, SigningCredential
from sessions.errors import Conflict, Invalid, NotFound
from sessions.events import emit
from sessions.models import Committee, Event, Meeting
from sessions.selectors import display_name
from sessions.snapshot import sections

MAX_UPDATE_BYTES = 256 * 1024
S = Minutes.Status


def collab_group(meeting_id: int) -> str:
    return f"minutes.{meeting_id}"


# --- the draft ------------------------------------------------------------------------------

@transaction.atomic
def minutes_open(*, actor, meeting: Meeting) -> Minutes:
    """The meeting's minutes, assembled from the record the first time anyone opens them."""
    existing = Minutes.objects.select_for_update().filter(meeting=meeting).first()
    record = selectors.record(meeting)
    if existing is not None:
        if existing.status == S.DRAFT:
            _follow_agenda(existing, record)
        return existing
    doc = crdt.new_doc({s.key: s.text for s in record.sections})
    minutes = Minutes.objects.create(
        meeting=meeting, ydoc=doc.get_update(),
        sections=[{"key": s.key, "title": s.title} for s in record.sections],
    )
    audit_record(actor=actor, action="minutes.draft_created", meeting=meeting, target=minutes)
    return minutes


def _follow_agenda(minutes: Minutes, record) -> None:
    """Agenda items added after the draft was started get their own section (once, under the
    row lock, so the default text is never inserted twice); titles follow renamed items."""
    wanted = [{"key": s.key, "title": s.title} for s in record.sections]
    if wanted == minutes.sections:
        return
    known = {s["key"] for s in minutes.sections}
    missing = {s.key: s.text for s in record.sections if s.key not in known}
    if missing:
        doc = crdt.load_doc(bytes(minutes.ydoc))
        crdt.add_sections(doc, missing)
        minutes.ydoc = doc.get_update()
        minutes.revision += 1
    # Text of removed items stays in the document but is no longer shown or printed.
    minutes.sections = wanted
    minutes.save(update_fields=["ydoc", "sections", "revision", "updated_at"])


def _locked(meeting: Meeting) -> Minutes:
    minutes = Minutes.objects.select_for_update().filter(meeting=meeting).first()
    if minutes is None:
        raise NotFound(_("Biên bản chưa được tạo."))
    return minutes


@transaction.atomic
def minutes_apply_update(*, actor, meeting: Meeting, update: bytes) -> Minutes:
    """Merge one editor's CRDT update into the stored draft (row lock: one merge at a time)."""
    if not update or len(update) > MAX_UPDATE_BYTES:
        raise Invalid(_("Bản cập nhật rỗng hoặc quá lớn."), field="update")
    minutes = _locked(meeting)
    if minutes.frozen:
        raise Conflict(_("Biên bản đã được ký, không thể sửa."))
    doc = crdt.load_doc(bytes(minutes.ydoc))
    try:
        doc.apply_update(update)
    except Exception:  # pycrdt raises plain ValueError/RuntimeError on garbage
        raise Invalid(_("Bản cập nhật không hợp lệ."), field="update") from None
    minutes.ydoc = doc.get_update()
    minutes.revision += 1
    minutes.save(update_fields=["ydoc", "revision", "updated_at"])
    return minutes


# --- certificates ---------------------------------------------------------------------------

def _ca_for(committee: Committee) -> CertificateAuthority:
    ca = CertificateAuthority.objects.select_for_update().filter(committee=committee).first()
    if ca is None:
        cert, key = signing.make_ca(committee.name)
        ca = CertificateAuthority.objects.create(committee=committee, cert_pem=cert, key_pem_encrypted=key)
    return ca


@transaction.atomic
def credential_issue(*, actor, committee: Committee, passphrase: str, confirm: str | None = None) -> SigningCredential:
    """A signing certificate from the committee's CA, its key sealed by `passphrase`; `confirm` is
    the passphrase typed a second time on a form (a typo would lock the key away for good)."""
    if confirm is not None and confirm != passphrase:
        raise Invalid(_("Hai lần nhập mật khẩu không khớp."), field="passphrase2")
    ca = _ca_for(committee)
    name = display_name(actor)
    cert, key, not_after = signing.issue_certificate(
        ca_cert_pem=ca.cert_pem, ca_key_pem=ca.key_pem_encrypted, common_name=name,
        organisation=committee.name, passphrase=passphrase, crl_url=ltv.crl_url(committee.pk),
    )
    SigningCredential.objects.filter(user=actor, is_active=True).update(is_active=False)
    cred = SigningCredential.objects.create(
        user=actor, source=SigningCredential.Source.ORG_CA, subject_name=name, cert_pem=cert,
        chain_pem=ca.cert_pem, key_pem_encrypted=key, not_after=not_after,
    )
    audit_record(actor=actor, action="signing.certificate_issued", committee=committee, target=cred)
    return cred


@transaction.atomic
def credential_import(*, actor, data: bytes, password: str) -> SigningCredential:
    imported = signing.import_pkcs12(data, password)
    SigningCredential.objects.filter(user=actor, is_active=True).update(is_active=False)
    cred = SigningCredential.objects.create(
        user=actor, source=SigningCredential.Source.PKCS12, subject_name=imported.common_name,
        cert_pem=imported.cert_pem, chain_pem=imported.chain_pem,
        key_pem_encrypted=imported.key_pem_encrypted, not_after=imported.not_after,
    )
    audit_record(actor=actor, action="signing.certificate_imported", target=cred,
                 data={"subject": imported.common_name})
    return cred


@transaction.atomic
def credential_register_token(*, actor, committee: Committee, token_label: str, key_label: str,
                              pin: str) -> SigningCredential:
    """Certify the key held on the signer's PKCS#11 token (the key never leaves the token)."""
    token_label, key_label = token_label.strip(), key_label.strip()
    if not token_label or not key_label:
        raise Invalid(_("Nhập nhãn thiết bị và nhãn khóa."), field="token_label")
    public_key = tokens.public_key(token_label, key_label, pin)
    ca = _ca_for(committee)
    name = display_name(actor)
    cert, not_after = signing.certify(ca_cert_pem=ca.cert_pem, ca_key_pem=ca.key_pem_encrypted,
                                      common_name=name, organisation=committee.name, public_key=public_key,
                                      crl_url=ltv.crl_url(committee.pk))
    SigningCredential.objects.filter(user=actor, is_active=True).update(is_active=False)
    cred = SigningCredential.objects.create(
        user=actor, source=SigningCredential.Source.PKCS11, subject_name=name, cert_pem=cert,
        chain_pem=ca.cert_pem, token_label=token_label, key_label=key_label, not_after=not_after,
    )
    audit_record(actor=actor, action="signing.token_registered", committee=committee, target=cred,
                 data={"token": token_label, "key": key_label})
    return cred


@transaction.atomic
def credential_revoke(*, actor, credential: SigningCredential) -> SigningCredential:
    """The key is lost or its holder has left: from now on the CA's CRL lists the certificate.
    Signatures made before stay valid (their timestamps and the embedded CRL prove when)."""
    credential = SigningCredential.objects.select_for_update().get(pk=credential.pk)
    if credential.revoked_at is None:
        credential.revoked_at, credential.is_active = timezone.now(), False
        credential.save(update_fields=["revoked_at", "is_active"])
        audit_record(actor=actor, action="signing.certificate_revoked", target=credential,
                     data={"serial": str(signing.serial_of(credential.cert_pem))})
    return credential


def _ca_of(committee_id: int) -> CertificateAuthority:
    ca = CertificateAuthority.objects.filter(committee_id=committee_id).first()
    if ca is None:
        raise NotFound(_("Không có tổ chức cấp chứng thư này."))
    return ca


def _crl_of(ca: CertificateAuthority) -> bytes:
    revoked = SigningCredential.objects.filter(chain_pem=ca.cert_pem, revoked_at__isnull=False)
    return ltv.build_crl(ca_cert_pem=ca.cert_pem, ca_key=signing.ca_private_key(ca.key_pem_encrypted),
                         revoked=[(signing.serial_of(c.cert_pem), c.revoked_at) for c in revoked])


def ca_crl(committee_id: int) -> bytes:
    """The committee CA's current CRL (DER), listing every revoked certificate it issued."""
    return _crl_of(_ca_of(committee_id))


def ca_certificate(committee_id: int) -> str:
    return _ca_of(committee_id).cert_pem


def active_credential(user) -> SigningCredential | None:
    return SigningCredential.objects.filter(user=user, is_active=True).first()


# --- signing --------------------------------------------------------------------------------

def _store(meeting: Meeting, name: str, data: bytes) -> str:
    """Write to the private store (disk or bucket, atomically); returns the file's name there."""
    rel = f"minutes/{meeting.pk}/{name}"
    blobstore.put(rel, data)
    return rel


def read_pdf(minutes: Minutes) -> bytes:
    return blobstore.get(minutes.pdf_path)


def read_checked_pdf(minutes: Minutes, *, actor) -> bytes:
    """The archived file, only if it still matches the hash recorded when it was signed."""
    data = read_pdf(minutes)
    found = signing.sha256(data)
    if found != minutes.pdf_sha256:
        audit_record(actor=actor, action="minutes.archive_mismatch", meeting=minutes.meeting, target=minutes,
                     data={"expected": minutes.pdf_sha256, "found": found})
        raise Conflict(_("Tệp biên bản lưu trữ đã bị thay đổi (không khớp mã kiểm tra ghi khi ký); "
                         "không dùng tệp này. Hãy báo quản trị hệ thống."))
    return data


def record_check(minutes: Minutes) -> dict:
    """Does the signed record still cover the whole meeting, and is the event log what was signed?"""
    meeting = minutes.meeting
    seq = minutes.event_log_seq or 0
    # The signatures themselves are announced as events after the record was rendered: not missing.
    later = Event.objects.filter(meeting=meeting, seq__gt=seq).exclude(type__startswith="minutes.").count()
    return {
        "seq": seq, "latest": meeting.last_seq, "later_events": later,
        "hash_ok": bool(minutes.event_log_sha256) and selectors.event_log_hash(meeting, seq) == minutes.event_log_sha256,
    }


@contextlib.contextmanager
def _signer(actor, passphrase: str):
    """(credential, pyHanko signer); a token session stays open only while signing."""
    cred = active_credential(actor)
    if cred is None:
        raise Conflict(_("Bạn chưa có chứng thư ký số. Hãy tạo hoặc nhập chứng thư trước."))
    if cred.not_after <= timezone.now():
        raise Conflict(_("Chứng thư ký số của bạn đã hết hạn."))
    if cred.source == SigningCredential.Source.PKCS11:
        with tokens.signer(token_label=cred.token_label, key_label=cred.key_label, pin=passphrase,
                           cert=signing.asn1_certs(cred.cert_pem)[0],
                           chain=signing.asn1_certs(cred.chain_pem)) as signer:
            yield cred, signer
        return
    yield cred, signing.make_signer(cert_pem=cred.cert_pem, key_pem_encrypted=cred.key_pem_encrypted,
                                    passphrase=passphrase, chain_pem=cred.chain_pem)


SECRETARY, CHAIR = "Thư ký", "Chủ trì"   # the stamp's role line (Party layout: Vietnamese in every language)


def sign_in_field(pdf: bytes, *, actor, passphrase: str, role: str, place: str):
    """(signed pdf, credential, when): the actor's signature in the secretary's or the chair's field,
    with the stamp every signed record uses (name, role, time, place). Minutes and the written
    consultations' reports both sign through here."""
    field = {SECRETARY: render.SECRETARY_FIELD, CHAIR: render.CHAIR_FIELD}[role]   # no third field
    with _signer(actor, passphrase) as (cred, signer):
        now = timezone.now()
        signed = signing.sign(pdf, field_name=field, signer=signer, display_name=cred.subject_name, role=role,
                              when_text=timezone.localtime(now).strftime("%d/%m/%Y %H:%M"), location=place)
    return signed, cred, now


def seal(pdf: bytes, committee_id: int) -> bytes:
    """The record is complete: embed what a verifier needs offline (B-LT: the roots, every CA's
    current CRL of the committee) and seal it with an archive timestamp (B-LTA)."""
    cas = CertificateAuthority.objects.filter(committee_id=committee_id)
    return ltv.freeze(pdf, roots=signing.asn1_certs("".join(trust_roots() + ltv.tsa_roots_pem())),
                      crls=[_crl_of(ca) for ca in cas])


def _announce(meeting: Meeting, actor, type_: str, **info) -> None:
    emit(meeting, type_, patch=sections(meeting, "minutes"), actor=actor, **info)
    group = collab_group(meeting.pk)
    transaction.on_commit(lambda: _tell_editors(group, info.get("status", "")))


def _tell_editors(group: str, status: str) -> None:
    try:
        async_to_sync(get_channel_layer().group_send)(group, {"type": "minutes.status", "status": status})
    except Exception:  # editors learn it on their next update (refused) or reconnect
        pass


def _next_number(meeting: Meeting) -> tuple[int, int]:
    """(year, number) in the committee's register: one sequence per calendar year of the day held.
    The committee row lock gives numbers one at a time; a failed signing rolls its number back."""
    Committee.objects.select_for_update().filter(pk=meeting.committee_id).first()
    year = timezone.localtime(render.held_on(meeting)).year
    last = (Minutes.objects.filter(meeting__committee_id=meeting.committee_id, number_year=year)
            .aggregate(m=Max("number"))["m"])
    return year, (last or 0) + 1


@transaction.atomic
def minutes_sign_as_secretary(*, actor, meeting: Meeting, passphrase: str, acknowledged: bool) -> Minutes:
    """Freeze the draft: render the PDF from it and put the secretary's signature on it.

    `acknowledged`: the secretary has seen what the record still lacks (selectors.signing_checklist)
    and signs anyway; required whenever that list is not empty.
    """
    if meeting.status != Meeting.Status.CLOSED:
        # The record is complete only once the meeting is closed: nothing can happen after signing.
        raise Conflict(_("Chỉ ký biên bản sau khi cuộc họp đã bế mạc."))
    minutes_open(actor=actor, meeting=meeting)
    minutes = _locked(meeting)
    if minutes.status != S.DRAFT:
        raise Conflict(_("Thư ký đã ký biên bản này."))
    lacking = selectors.signing_checklist(meeting, minutes)
    if lacking and not acknowledged:
        raise Invalid(_("Biên bản còn thiếu: %(items)s Hãy xác nhận đã xem trước khi ký.")
                      % {"items": " ".join(lacking)}, field="acknowledged")
    minutes.number_year, minutes.number = _next_number(meeting)
    rendered = render.render_pdf(meeting, selectors.draft_texts(minutes), number=minutes.number)
    pdf, cred, now = sign_in_field(rendered.pdf, actor=actor, passphrase=passphrase, role=SECRETARY,
                                   place=meeting.committee.place_name)
    minutes.pdf_path = _store(meeting, f"bien-ban-{meeting.pk}-thu-ky.pdf", pdf)
    minutes.pdf_sha256 = signing.sha256(pdf)
    minutes.event_log_seq, minutes.event_log_sha256 = rendered.event_seq, rendered.event_hash
    minutes.status = S.SECRETARY_SIGNED
    minutes.secretary_signed_by, minutes.secretary_signed_at = actor, now
    minutes.save()
    _announce(meeting, actor, "minutes.signed", role="secretary", status=minutes.status)
    audit_record(actor=actor, action="minutes.signed", meeting=meeting, target=minutes,
                 data={"role": "secretary", "sha256": minutes.pdf_sha256, "credential": cred.pk})
    return minutes


@transaction.atomic
def minutes_sign_as_chair(*, actor, meeting: Meeting, passphrase: str) -> Minutes:
    """The chair's signature (incremental update) completes and publishes the minutes."""
    minutes = _locked(meeting)
    if minutes.status == S.DRAFT:
        raise Conflict(_("Thư ký cần ký trước, sau đó chủ trì mới ký."))
    if minutes.status == S.SIGNED:
        raise Conflict(_("Biên bản đã được ký đầy đủ."))
    if minutes.secretary_signed_by_id == actor.pk:
        raise Conflict(_("Một người không thể ký cả hai chỗ: đồng chí đã ký với vai trò thư ký."))
    current = read_checked_pdf(minutes, actor=actor)
    pdf, cred, now = sign_in_field(current, actor=actor, passphrase=passphrase, role=CHAIR,
                                   place=meeting.committee.place_name)
    pdf = seal(pdf, meeting.committee_id)
    minutes.pdf_path = _store(meeting, f"bien-ban-{meeting.pk}.pdf", pdf)
    minutes.pdf_sha256 = signing.sha256(pdf)
    minutes.status = S.SIGNED
    minutes.chair_signed_by, minutes.chair_signed_at = actor, now
    minutes.save()
    _announce(meeting, actor, "minutes.published", role="chair", status=minutes.status)
    audit_record(actor=actor, action="minutes.signed", meeting=meeting, target=minutes,
                 data={"role": "chair", "sha256": minutes.pdf_sha256, "credential": cred.pk})
    audit_record(actor=actor, action="minutes.published", meeting=meeting, target=minutes,
                 data={"sha256": minutes.pdf_sha256})
    return minutes


def trust_roots() -> list[str]:
    """The organisation CAs. Chains inside imported PKCS#12 files are not trusted automatically:
    anyone could import a file whose chain ends in a root of their own making."""
    return list(CertificateAuthority.objects.values_list("cert_pem", flat=True))
