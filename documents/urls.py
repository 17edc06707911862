from django.urls import path

from documents import views

urlpatterns = [
    path("sw.js", views.service_worker, name="service_worker"),
    path("meetings/<int:meeting_id>/documents/", views.manage_page, name="documents_manage"),
    path("meetings/<int:meeting_id>/documents/upload", views.upload, name="documents_upload"),
    path("meetings/<int:meeting_id>/documents.json", views.document_list, name="documents_list"),
    path("meetings/<int:meeting_id>/offline.json", views.offline_pack, name="offline_pack"),
    path("documents/conversions/<int:conversion_id>", views.conversion_status, name="document_conversion"),
    path("documents/<int:document_id>/versions", views.add_version, name="document_add_version"),
    path("documents/<int:document_id>/update", views.update, name="document_update"),
    path("documents/<int:document_id>/delete", views.delete, name="document_delete"),
    path("documents/<int:document_id>/view", views.view_file, name="document_view"),
    path("documents/<int:document_id>/download", views.download_file, name="document_download"),
]
