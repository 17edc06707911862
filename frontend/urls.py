from django.urls import path

from frontend import views

urlpatterns = [
    path("meetings/<int:meeting_id>/", views.meeting_tablet, name="meeting"),
    path("meetings/<int:meeting_id>/console/", views.meeting_console, name="meeting_console"),
    path("meetings/<int:meeting_id>/projector/", views.meeting_projector, name="meeting_projector"),
]
