"""The admin app with Nashra's site. Its own module: INSTALLED_APPS imports it before
any model is ready, and ``subscriptions.apps`` must keep a single default AppConfig."""

from django.contrib.admin.apps import AdminConfig


class NashraAdminConfig(AdminConfig):
    """``django.contrib.admin`` with the editors' dashboard as its index: the default
    site, so ``admin.site`` and every ``@admin.register`` use it."""

    default_site = "subscriptions.admin_site.NashraAdminSite"
