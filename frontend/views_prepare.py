"""The secretary's preparation pages: meetings, agenda, guests, publishing (documents: documents app).

Views parse with Django forms, authorize with sessions.policy (Action.PREPARE), call the services
of sessions.services, and show domain errors next to the form that caused them (HTTP 4xx).
"""
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from documents.selectors import document_list
from sessions import agenda as agenda_edits
from sessions import policy, services
from sessions.errors import DomainError
from sessions.models import AgendaItem, Meeting, MeetingGuest, Membership
from sessions.policy import Action
from sessions.selectors import agenda, committee_chair_id, display_name, guest_candidates

User = get_user_model()


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return display_name(obj)


def _committee_people(committee_id, *, voting_only=False):
    members = {"memberships__committee_id": committee_id, "memberships__is_active": True}
    if voting_only:
        members["memberships__is_voting_member"] = True
    return User.objects.filter(**members).order_by("first_name")


_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class MeetingForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Tiêu đề"), max_length=300)
    place = forms.CharField(label=gettext_lazy("Địa điểm"), max_length=300, required=False)
    starts_at = forms.DateTimeField(label=gettext_lazy("Bắt đầu"), widget=_DATETIME)
    ends_at = forms.DateTimeField(label=gettext_lazy("Kết thúc dự kiến"), required=False, widget=_DATETIME)
    remote_allowed = forms.BooleanField(label=gettext_lazy("Cho phép dự họp từ xa"), required=False)
    chair = PersonChoice(label=gettext_lazy("Chủ trì"), queryset=User.objects.none(), required=False)
    secretary = PersonChoice(label=gettext_lazy("Thư ký"), queryset=User.objects.none(), required=False)

    def __init__(self, *args, committee_id, **kwargs):
        super().__init__(*args, **kwargs)
        # The chair must be a voting member (services._check_roles): offer only those.
        self.fields["chair"].queryset = _committee_people(committee_id, voting_only=True)
        self.fields["secretary"].queryset = _committee_people(committee_id)


class AgendaItemForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Nội dung"), max_length=500)
    description = forms.CharField(label=gettext_lazy("Mô tả"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    parent = forms.TypedChoiceField(label=gettext_lazy("Thuộc mục"), required=False, coerce=int, empty_value=None)
    presenter = PersonChoice(label=gettext_lazy("Người trình bày"), queryset=User.objects.none(), required=False)
    planned_minutes = forms.IntegerField(label=gettext_lazy("Thời lượng dự kiến (phút)"), min_value=0, max_value=600,
                                         initial=0, required=False)
    confidential = forms.BooleanField(label=gettext_lazy("Mật"), required=False)

    def __init__(self, *args, meeting, exclude_item=None, **kwargs):
        # Shown on the same page as the meeting form: distinct ids keep each label on its own box.
        kwargs.setdefault("auto_id", "item_%s")
        super().__init__(*args, **kwargs)
        tops = AgendaItem.objects.filter(meeting=meeting, parent=None).order_by("position", "id")
        if exclude_item is not None:
            tops = tops.exclude(pk=exclude_item.pk)
        self.fields["parent"].choices = [("", _("— Mục chính —"))] + [(i.pk, i.title) for i in tops]
        guests = MeetingGuest.objects.filter(meeting=meeting).values("user")
        people = _committee_people(meeting.committee_id) | User.objects.filter(pk__in=guests)
        self.fields["presenter"].queryset = people.distinct()


class MoveForm(forms.Form):
    delta = forms.TypedChoiceField(choices=[("-1", "-1"), ("1", "1")], coerce=int)


class GuestForm(forms.Form):
    """Guests are ticked in a list of people (filtered by name on the page), never typed as usernames.
    The page shows only who may be invited (selectors.guest_candidates); the service refuses the rest."""
    guests = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Khách mời"), queryset=User.objects.filter(is_active=True),
        error_messages={"required": gettext_lazy("Chọn ít nhất một người để mời."),
                        "invalid_choice": gettext_lazy("Không tìm thấy người được chọn."),
                        "invalid_pk_value": gettext_lazy("Không tìm thấy người được chọn.")})


def _proposed_chair(committee_id, secretary_id) -> int | None:
    """The committee's chair, preselected; never the secretary (chair ≠ secretary)."""
    chair = committee_chair_id(committee_id)
    return chair if chair != secretary_id else None


def _meeting(request, meeting_id) -> Meeting:
    try:
        return policy.meeting_for(request.user, meeting_id, Action.PREPARE)
    except DomainError as e:
        raise _Stop(HttpResponse(e.message, status=e.http_status)) from None


class _Stop(Exception):
    def __init__(self, response):
        self.response = response


def _stoppable(view):
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _Stop as stop:
            return stop.response
    wrapper.__name__ = view.__name__
    return login_required(wrapper)


def _first_error(form) -> str:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        return f"{label}: {errors[0]}" if label else errors[0]
    return _("Dữ liệu không hợp lệ.")


def _page(request, meeting, *, status=200, errors=None, forms_=None):
    forms_ = forms_ or {}
    initial = {"title": meeting.title, "place": meeting.place, "starts_at": meeting.starts_at,
               "ends_at": meeting.ends_at, "remote_allowed": meeting.remote_allowed,
               "chair": meeting.chair_id or _proposed_chair(meeting.committee_id, meeting.secretary_id),
               "secretary": meeting.secretary_id}
    guest_form = forms_.get("guest") or GuestForm()
    context = {
        "meeting": meeting,
        "meeting_form": forms_.get("meeting") or MeetingForm(initial=initial, committee_id=meeting.committee_id),
        "item_form": forms_.get("item") or AgendaItemForm(meeting=meeting),
        "guest_form": guest_form,
        "guest_candidates": guest_candidates(meeting),
        "guests_ticked": set(guest_form.data.getlist("guests")) if guest_form.is_bound else set(),
        "agenda": [{**row, "error": (errors or {}).get(f"item-{row['id']}", "")} for row in agenda(meeting)],
        "guests": MeetingGuest.objects.filter(meeting=meeting).select_related("user"),
        "documents": document_list(meeting, request.user),
        "errors": errors or {},
    }
    return render(request, "frontend/prepare/meeting.html", context, status=status)


def _fail(request, meeting, where: str, message: str, status: int = 400, form=None):
    return _page(request, meeting, status=status, errors={where: message}, forms_={where: form} if form else None)


@_stoppable
def prepare_home(request):
    committees = [m.committee for m in Membership.objects.filter(user=request.user, is_active=True)
                  .select_related("committee") if policy.can(request.user, Action.PREPARE, m.committee)]
    meetings = Meeting.objects.filter(committee__in=committees).select_related("committee").order_by("-starts_at")[:100]
    return render(request, "frontend/prepare/home.html", {"committees": committees, "meetings": meetings})


@_stoppable
def meeting_new(request, committee_id: int):
    try:
        committee = policy.committee_for(request.user, committee_id, Action.PREPARE)
    except DomainError as e:
        return HttpResponse(e.message, status=e.http_status)
    form = MeetingForm(request.POST or None, committee_id=committee.pk, initial={
        "secretary": request.user.pk, "chair": _proposed_chair(committee.pk, request.user.pk)})
    error, status = "", 200
    if request.method == "POST":
        if form.is_valid():
            try:
                meeting = services.meeting_create(actor=request.user, committee=committee, **form.cleaned_data)
                return redirect("prepare_meeting", meeting.pk)
            except DomainError as e:
                error, status = e.message, e.http_status
        else:
            error, status = _first_error(form), 400
    return render(request, "frontend/prepare/new.html", {"committee": committee, "form": form, "error": error},
                  status=status)


@_stoppable
def meeting_page(request, meeting_id: int):
    return _page(request, _meeting(request, meeting_id))


def _run(request, meeting, where, call, form=None):
    try:
        call()
    except DomainError as e:
        return _fail(request, meeting, where, e.message, 400 if e.http_status == 400 else e.http_status, form)
    return redirect("prepare_meeting", meeting.pk)


@require_POST
@_stoppable
def meeting_edit(request, meeting_id: int):
    meeting = _meeting(request, meeting_id)
    form = MeetingForm(request.POST, committee_id=meeting.committee_id)
    if not form.is_valid():
        return _fail(request, meeting, "meeting", _first_error(form), form=form)
    return _run(request, meeting, "meeting",
                lambda: services.meeting_update(actor=request.user, meeting=meeting, **form.cleaned_data), form)


def _item(meeting, item_id) -> AgendaItem:
    item = AgendaItem.objects.filter(meeting=meeting, pk=item_id).select_related("meeting").first()
    if item is None:
        raise _Stop(HttpResponse(_("Không tìm thấy nội dung này trong chương trình."), status=404))
    return item


def _item_fields(form) -> dict:
    data = dict(form.cleaned_data)
    data["planned_minutes"] = data.get("planned_minutes") or 0
    return data


@require_POST
@_stoppable
def item_add(request, meeting_id: int):
    meeting = _meeting(request, meeting_id)
    form = AgendaItemForm(request.POST, meeting=meeting)
    if not form.is_valid():
        return _fail(request, meeting, "item", _first_error(form), form=form)
    data = _item_fields(form)
    parent_id = data.pop("parent")
    return _run(request, meeting, "item", lambda: agenda_edits.agenda_item_add(
        actor=request.user, meeting=meeting, parent_id=parent_id, **data), form)


@require_POST
@_stoppable
def item_edit(request, meeting_id: int, item_id: int):
    meeting = _meeting(request, meeting_id)
    item = _item(meeting, item_id)
    form = AgendaItemForm(request.POST, meeting=meeting, exclude_item=item)
    if not form.is_valid():
        return _fail(request, meeting, f"item-{item.pk}", _first_error(form))
    data = _item_fields(form)
    parent_id = data.pop("parent")
    if parent_id != item.parent_id:
        return _fail(request, meeting, f"item-{item.pk}",
                     _("Muốn chuyển mục sang mục cha khác, hãy xóa rồi thêm lại."))
    return _run(request, meeting, f"item-{item.pk}",
                lambda: agenda_edits.agenda_item_update(actor=request.user, item=item, **data))


@require_POST
@_stoppable
def item_move(request, meeting_id: int, item_id: int):
    meeting = _meeting(request, meeting_id)
    item = _item(meeting, item_id)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _fail(request, meeting, f"item-{item.pk}", _("Chỉ có thể chuyển lên hoặc xuống một bậc."))
    return _run(request, meeting, f"item-{item.pk}",
                lambda: agenda_edits.agenda_item_move(actor=request.user, item=item, delta=form.cleaned_data["delta"]))


@require_POST
@_stoppable
def item_delete(request, meeting_id: int, item_id: int):
    meeting = _meeting(request, meeting_id)
    item = _item(meeting, item_id)
    return _run(request, meeting, f"item-{item.pk}", lambda: agenda_edits.agenda_item_delete(actor=request.user, item=item))


@require_POST
@_stoppable
def guest_invite(request, meeting_id: int):
    meeting = _meeting(request, meeting_id)
    form = GuestForm(request.POST)
    if not form.is_valid():
        return _fail(request, meeting, "guest", _first_error(form), form=form)

    @transaction.atomic
    def invite_all():  # all or none: a refused person leaves the others uninvited too
        for user in form.cleaned_data["guests"]:
            services.meeting_invite_guest(actor=request.user, meeting=meeting, user=user)
    return _run(request, meeting, "guest", invite_all, form)


@require_POST
@_stoppable
def publish(request, meeting_id: int):
    meeting = _meeting(request, meeting_id)
    return _run(request, meeting, "publish", lambda: services.meeting_publish(actor=request.user, meeting=meeting))




@require_POST
@_stoppable
def cancel(request, meeting_id: int):
    meeting = _meeting(request, meeting_id)
    reason = request.POST.get("reason", "")
    return _run(request, meeting, "cancel",
                lambda: services.meeting_cancel(actor=request.user, meeting=meeting, reason=reason))
