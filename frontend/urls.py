from django.urls import path

from frontend import views

urlpatterns = [
    path("meetings/<int:meeting_id>/", views.meeting_tablet, name="meeting"),
]
