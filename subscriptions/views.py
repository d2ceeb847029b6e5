from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from subscriptions.emails import digest_body
from subscriptions.selectors import digest_public, digests_sent, newsletter_default
from subscriptions.web import web_version

LATEST_ON_HOME = 5
ARCHIVE_PAGE_SIZE = 20


def home(request):
    """The newsletter's home: what it is, how to sign up, the latest issues."""
    return render(
        request,
        "subscriptions/home.html",
        {"newsletter": newsletter_default(), "latest": digests_sent()[:LATEST_ON_HOME]},
    )


@require_safe
def archive_index(request):
    page = Paginator(digests_sent(), ARCHIVE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "subscriptions/archive_index.html", {"page": page, "newsletter": newsletter_default()})


@require_safe
def archive_detail(request, slug: str):
    """A digest's web version ("view in your browser"): the stored body, no reader's data."""
    digest = digest_public(slug=slug)
    if digest is None:
        raise Http404("no such digest")
    return HttpResponse(web_version(digest=digest, body=digest_body(digest), request=request))
