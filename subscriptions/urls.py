from django.urls import path

from subscriptions import views

app_name = "subscriptions"

urlpatterns = [
    path("", views.home, name="home"),
    path("archive/", views.archive_index, name="archive_index"),
    path("archive/<slug:slug>/", views.archive_detail, name="archive_detail"),
]
