from django.urls import path

from subscriptions import views

app_name = "subscriptions"

urlpatterns = [
    path("", views.home, name="home"),
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/embed/", views.subscribe_embed, name="subscribe_embed"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
]
