from django.urls import path

from documents.routing import websocket_urlpatterns as documents_ws
from minutes.routing import websocket_urlpatterns as minutes_ws
from sessions.consumers import MeetingConsumer
from voting.routing import websocket_urlpatterns as voting_ws

websocket_urlpatterns = [
    path("ws/meetings/<int:meeting_id>/", MeetingConsumer.as_asgi()),
    *documents_ws,
    *voting_ws,
    *minutes_ws,
]
