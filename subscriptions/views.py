from django.shortcuts import render

from subscriptions.selectors import newsletter_default


def home(request):
    """The newsletter's home: what it is and how to sign up."""
    return render(request, "subscriptions/home.html", {"newsletter": newsletter_default()})
