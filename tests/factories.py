import datetime

import factory
from django.utils import timezone

from newsroom.models import Article, ArticleSource, Section
from subscriptions.models import Newsletter, Subscriber, Subscription


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"قسم {n}")
    slug = factory.Sequence(lambda n: f"section-{n}")
    kind = Section.Kind.NEWS


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"خبر رقم {n}")
    url = factory.Sequence(lambda n: f"https://news.example/a/{n}/")
    section = factory.SubFactory(SectionFactory)
    status = Article.Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))


class ArticleSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ArticleSource

    name = factory.Sequence(lambda n: f"جريدة الأيام {n}")
    slug = factory.Sequence(lambda n: f"alayam-{n}")
    kind = ArticleSource.Kind.WORDPRESS
    url = "https://alayam.example/"


class NewsletterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Newsletter
        django_get_or_create = ["slug"]

    name = "الأيام في هذا الأسبوع"
    slug = "this-week"
    from_name = "جريدة الأيام"
    from_email = "newsletter@news.example"


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber

    email = factory.Sequence(lambda n: f"reader{n}@example.com")
    name = "سارة"
    status = Subscriber.Status.CONFIRMED


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    subscriber = factory.SubFactory(SubscriberFactory)
    newsletter = factory.SubFactory(NewsletterFactory)


# A Thursday-09:00 slot in the default TIME_ZONE (Asia/Damascus): digest periods in
# tests end here unless a test says otherwise.
def slot_end() -> datetime.datetime:
    from zoneinfo import ZoneInfo

    return datetime.datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Asia/Damascus"))


def light_section(**kwargs):
    return SectionFactory(slug="light", name="منوعات", kind=Section.Kind.LIGHT, order=99, **kwargs)


def published(*, section, days_before: float = 1, end=None, **kwargs):
    """An article published ``days_before`` days before ``end`` (default: slot_end())."""
    end = end or slot_end()
    return ArticleFactory(section=section, published_at=end - datetime.timedelta(days=days_before), **kwargs)
