from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from newsroom.health import healthz

admin.site.site_header = admin.site.site_title = "Nashra · نشرة"

# Outside the language prefix: machines call these and must not be redirected.
urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
]

# Pages for people: /ar/… and /en/…; a bare path redirects to the reader's language.
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("", include("subscriptions.urls")),
    prefix_default_language=True,
)
