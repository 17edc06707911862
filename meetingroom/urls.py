from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from frontend import views as frontend_views
from meetingroom.health import healthz

urlpatterns = [
    path("", frontend_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("frontend.urls")),
    path("", include("frontend.urls_prepare")),
    path("", include("documents.urls")),
    path("", include("voting.urls")),
    path("", include("minutes.urls")),
    path("", include("notifications.urls")),
    path("", include("consultations.urls")),
]
