from django.urls import path

from minutes import views

urlpatterns: list = [
    path("meetings/<int:meeting_id>/minutes/", views.minutes_edit, name="minutes_edit"),
    path("meetings/<int:meeting_id>/minutes/preview.pdf", views.minutes_preview, name="minutes_preview"),
    path("meetings/<int:meeting_id>/minutes/sign/", views.minutes_sign, name="minutes_sign"),
    path("meetings/<int:meeting_id>/minutes/bien-ban.pdf", views.minutes_pdf, name="minutes_pdf"),
    path("meetings/<int:meeting_id>/minutes/verify/", views.minutes_verify, name="minutes_verify"),
    path("ca/<int:committee_id>/crl", views.ca_crl, name="ca_crl"),
    path("ca/<int:committee_id>/ca.pem", views.ca_certificate, name="ca_certificate"),
]
