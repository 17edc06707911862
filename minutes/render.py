"""Render the minutes: Django template → HTML → WeasyPrint PDF with two empty signature fields."""
import io
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import SigFieldSpec, append_signature_field
from weasyprint import HTML

from audit.services import audit_head
from minutes import assemble as asm
from minutes import selectors
from sessions.models import Meeting
from sessions.selectors import display_name

SECRETARY_FIELD = "ThuKy"
CHAIR_FIELD = "ChuTri"
# Element id in the template → signature field name.
FIELD_ANCHORS = {"sig-secretary": SECRETARY_FIELD, "sig-chair": CHAIR_FIELD}
PX_TO_PT = 0.75  # CSS px (1/96 in) → PDF points (1/72 in)
PDF_VARIANT = "pdf/a-3u"


@dataclass
class Rendered:
    pdf: bytes
    event_seq: int
    event_hash: str


def date_line(place: str, when) -> str:
    d = timezone.localtime(when).date()
    prefix = f"{place}, " if place else ""
    return f"{prefix}ngày {d.day:02d} tháng {d.month:02d} năm {d.year}"


def held_on(meeting: Meeting):
    return meeting.opened_at or meeting.starts_at


def number_line(committee, number: int | None) -> str:
    """"Số 12-BB/ĐU" (Hướng dẫn 36-HD/VPTW); the number is left blank until the secretary signs."""
    symbol = f"/{committee.document_symbol}" if committee.document_symbol else ""
    shown = str(number) if number else "\u2003\u2003"  # two em spaces: filled in by hand on a draft
    return f"Số {shown}-BB{symbol}"


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n") if p.strip()]


def context(meeting: Meeting, record: asm.Assembled, texts: dict[str, str], *, event_seq: int,
            event_hash: str, event_count: int, number: int | None = None) -> dict:
    polls_by_section = {f"item.{i['id']}": i["polls"] for i in record.items}
    chair_upper, chair_role = selectors.chair_block(meeting)
    att = record.attendance
    committee = meeting.committee
    return {
        "meeting": meeting, "committee": committee, "superior": committee.superior_display,
        "number_line": number_line(committee, number),
        # The day the meeting was actually held (opened), in Asia/Ho_Chi_Minh: not the scheduled day.
        "place_date": date_line(committee.place_name, held_on(meeting)),
        "date_text": timezone.localtime(held_on(meeting)).strftime("%d/%m/%Y"),
        "start_time": selectors.local_time(meeting.opened_at or meeting.starts_at),
        "end_time": selectors.local_time(meeting.closed_at),
        "chair_name": display_name(meeting.chair) if meeting.chair else "",
        "secretary_name": display_name(meeting.secretary) if meeting.secretary else "",
        "chair_upper": chair_upper, "chair_role": chair_role,
        "att": att,
        "items": record.items, "loose_polls": record.polls_without_item,
        "sections": [
            {"key": s.key, "title": s.title, "paragraphs": paragraphs(texts.get(s.key, s.text)),
             "polls": polls_by_section.get(s.key, [])}
            for s in record.sections
        ],
        "event_seq": event_seq, "event_hash": event_hash, "event_count": event_count,
        # Anchors the audit chain outside the database: a later truncation cannot match this head.
        "audit_head": audit_head(),
    }


def render_html(meeting: Meeting, section_texts: dict[str, str], *, event_seq: int | None = None,
                number: int | None = None) -> tuple[str, int, str]:
    """The minutes as HTML (autoescaped: section texts are plain text, never markup)."""
    record = selectors.record(meeting)
    seq = meeting.last_seq if event_seq is None else event_seq
    event_hash = selectors.event_log_hash(meeting, seq)
    count = selectors.event_log(meeting, seq).count()
    html = render_to_string("minutes/pdf.html", context(meeting, record, section_texts, event_seq=seq,
                                                       event_hash=event_hash, event_count=count, number=number))
    return html, seq, event_hash


def _leave_producer_to_xmp(document, pdf) -> None:
    """PDF/A: every /Info entry must equal its XMP twin. On each incremental update pyHanko sets the
    XMP producer to its own name but appends its name to /Info's; without an /Info producer it
    writes the same name to both, so the signed file stays consistent (XMP keeps WeasyPrint's name
    until then)."""
    pdf.info.pop("Producer", None)


def html_to_pdf(html: str, *, variant: str | None = PDF_VARIANT, signature_fields: bool = True) -> bytes:
    options = {"pdf_variant": variant} if variant else {}
    document = HTML(string=html, base_url="/").render(**options)
    boxes = {}
    for page_no, page in enumerate(document.pages):
        for anchor, (x1, y1, x2, y2) in page.anchors.items():
            if anchor in FIELD_ANCHORS:
                height_pt = page.height * PX_TO_PT
                boxes[FIELD_ANCHORS[anchor]] = (page_no, (
                    round(x1 * PX_TO_PT), round(height_pt - y2 * PX_TO_PT),
                    round(x2 * PX_TO_PT), round(height_pt - y1 * PX_TO_PT),
                ))
    pdf = document.write_pdf(finisher=_leave_producer_to_xmp if variant else None, **options)
    if not signature_fields:
        return pdf
    missing = set(FIELD_ANCHORS.values()) - set(boxes)
    if missing:
        raise ValueError(f"the minutes template lacks the signature blocks for {sorted(missing)}")
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    for name in (SECRETARY_FIELD, CHAIR_FIELD):
        page_no, box = boxes[name]
        append_signature_field(writer, SigFieldSpec(sig_field_name=name, on_page=page_no, box=box))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def render_pdf(meeting: Meeting, section_texts: dict[str, str], *, variant: str | None = PDF_VARIANT,
               number: int | None = None) -> Rendered:
    html, seq, event_hash = render_html(meeting, section_texts, number=number)
    return Rendered(pdf=html_to_pdf(html, variant=variant), event_seq=seq, event_hash=event_hash)
