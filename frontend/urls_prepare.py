from django.urls import path  # noqa: F401

# Secretary's preparation pages (meetings, agenda, invitations, publishing).
urlpatterns: list = []
