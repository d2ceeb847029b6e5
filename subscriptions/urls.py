from django.urls import path

from subscriptions import views, views_leaving

app_name = "subscriptions"

urlpatterns = [
    path("", views.home, name="home"),
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/embed/", views.subscribe_embed, name="subscribe_embed"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("preferences/<str:token>/", views_leaving.preferences, name="preferences"),
    path("preferences/<str:token>/export/", views_leaving.preferences_export, name="preferences_export"),
    path("preferences/<str:token>/erase/", views_leaving.preferences_erase, name="preferences_erase"),
    path("archive/", views.archive_index, name="archive_index"),
    path("archive/<slug:slug>/", views.archive_detail, name="archive_detail"),
]
