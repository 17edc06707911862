from django.urls import path

from consultations import views

urlpatterns = [
    path("committees/<int:committee_id>/consultations/", views.consultation_list, name="consultations"),
    path("committees/<int:committee_id>/consultations/new", views.consultation_new, name="consultation_new"),
    path("consultations/<int:consultation_id>/", views.consultation_detail, name="consultation"),
    path("consultations/<int:consultation_id>/edit", views.consultation_edit, name="consultation_edit"),
    path("consultations/<int:consultation_id>/questions/add", views.question_add, name="consultation_question_add"),
    path("consultations/<int:consultation_id>/questions/remove", views.question_remove,
         name="consultation_question_remove"),
    path("consultations/<int:consultation_id>/attachments/add", views.attachment_add,
         name="consultation_attachment_add"),
    path("consultations/<int:consultation_id>/attachments/remove", views.attachment_remove,
         name="consultation_attachment_remove"),
    path("consultations/<int:consultation_id>/attachments/<int:attachment_id>.pdf", views.attachment_view,
         name="consultation_attachment"),
    path("consultations/<int:consultation_id>/conversions/<int:conversion_id>/dismiss", views.conversion_dismiss,
         name="consultation_conversion_dismiss"),
    path("consultations/<int:consultation_id>/send", views.consultation_send, name="consultation_send"),
    path("consultations/<int:consultation_id>/answer", views.consultation_answer, name="consultation_answer"),
    path("consultations/<int:consultation_id>/close", views.consultation_close, name="consultation_close"),
    path("consultations/<int:consultation_id>/report/sign/", views.report_sign, name="consultation_report_sign"),
    path("consultations/<int:consultation_id>/report.pdf", views.report_pdf, name="consultation_report_pdf"),
]
