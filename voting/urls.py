from django.urls import path

from voting import views

urlpatterns: list = [
    path("tellers/key/", views.teller_key, name="teller_key"),
    path("meetings/<int:meeting_id>/tellers/", views.board_page, name="teller_board"),
    path("meetings/<int:meeting_id>/polls/<int:poll_id>/count/", views.count_page, name="poll_count"),
]
