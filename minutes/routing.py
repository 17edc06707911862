from django.urls import path

from minutes.consumers import MinutesConsumer

websocket_urlpatterns: list = [
    path("ws/minutes/<int:meeting_id>/", MinutesConsumer.as_asgi()),
]
