from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from newsroom.health import healthz
from subscriptions import views_leaving

# Outside the language prefix: machines call these and must not be redirected.
urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The List-Unsubscribe URL: one-click POSTs must get a 200 here, never a redirect.
    path("unsubscribe/<str:token>/", views_leaving.unsubscribe, name="unsubscribe"),
    path("unsubscribe/<str:token>/resubscribe/", views_leaving.resubscribe, name="resubscribe"),
    # ESP webhooks, /anymail/<esp>/tracking/: basic auth with ANYMAIL_WEBHOOK_SECRET (and
    # Mailgun's signature); events go to subscriptions/receivers.py.
    path("anymail/", include("anymail.urls")),
]

# Pages for people: /ar/… and /en/…; a bare path redirects to the reader's language.
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("", include("subscriptions.urls")),
    prefix_default_language=True,
)
