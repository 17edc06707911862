from django.urls import path

from frontend import views_members
from frontend import views_prepare as v

# Secretary's preparation pages (meetings, agenda, invitations, publishing).
urlpatterns = [
    path("prepare/", v.prepare_home, name="prepare_home"),
    path("prepare/committees/<int:committee_id>/new", v.meeting_new, name="prepare_meeting_new"),
    path("prepare/meetings/<int:meeting_id>/", v.meeting_page, name="prepare_meeting"),
    path("prepare/meetings/<int:meeting_id>/edit", v.meeting_edit, name="prepare_meeting_edit"),
    path("prepare/meetings/<int:meeting_id>/items/add", v.item_add, name="prepare_item_add"),
    path("prepare/meetings/<int:meeting_id>/items/<int:item_id>/edit", v.item_edit, name="prepare_item_edit"),
    path("prepare/meetings/<int:meeting_id>/items/<int:item_id>/move", v.item_move, name="prepare_item_move"),
    path("prepare/meetings/<int:meeting_id>/items/<int:item_id>/delete", v.item_delete, name="prepare_item_delete"),
    path("prepare/meetings/<int:meeting_id>/guests", v.guest_invite, name="prepare_guest_invite"),
    path("prepare/meetings/<int:meeting_id>/publish", v.publish, name="prepare_publish"),
    path("prepare/meetings/<int:meeting_id>/cancel", v.cancel, name="prepare_cancel"),
    path("prepare/committees/<int:committee_id>/members/import", views_members.members_import, name="members_import"),
]
