"""Prepared queries (spoonful.prepared): compiled once per shape, run with each call's values,
answering exactly what the ORM answers, and refusing a query that cannot be prepared."""

import gc
import threading
import weakref
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import Count
from django.db.models.expressions import RawSQL
from django.test import Client
from django.utils import timezone

from accounts.models import User
from discussions.models import Discussion, Reply, Visibility
from discussions.selectors import discussion_page_get_or_404, visibility_shape
from spoonful.prepared import PreparedQuery
from tests.helpers.live import add_reply, make_discussion
from tests.helpers.users import approve_professional

pytestmark = pytest.mark.django_db


def test_each_call_runs_with_its_own_values_and_gets_models_with_their_related_rows(member, other_member):
    first = make_discussion(member, title="First")
    second = make_discussion(other_member, title="Second")
    by_pk = PreparedQuery(lambda *, pk: Discussion.objects.select_related("author").filter(pk=pk), integers=("pk",))

    for discussion in (first, second, first):
        [found] = by_pk((), pk=discussion.pk)
        assert (found.pk, found.title, found.author.username) == (
            discussion.pk,
            discussion.title,
            discussion.author.username,
        )
    assert by_pk((), pk=second.pk + 1000) == []


def test_annotations_converters_and_texts_come_back_as_the_orm_gives_them(member, other_member):
    discussion = make_discussion(member)
    add_reply(discussion, other_member, "One")
    add_reply(discussion, member, "Two")
    counted = PreparedQuery(
        lambda *, discussion_id, body: (
            Reply.objects.filter(discussion_id=discussion_id, body=body).values("discussion_id").annotate(n=Count("pk"))
        ),
        integers=("discussion_id",),
        texts=("body",),
    )

    assert counted((), discussion_id=discussion.pk, body="One") == [{"discussion_id": discussion.pk, "n": 1}]
    assert counted((), discussion_id=discussion.pk, body="Three") == []


def test_shapes_are_compiled_apart_and_the_oldest_is_forgotten(member):
    public = make_discussion(member, title="Public", visibility=Visibility.PUBLIC)
    members_only = make_discussion(member, title="Members", visibility=Visibility.MEMBERS)
    builds = []

    def build(visibility, *, author_id):
        builds.append(visibility)
        return Discussion.objects.filter(visibility=visibility, author_id=author_id).values_list("title", flat=True)

    titles = PreparedQuery(build, integers=("author_id",), shapes=1)
    assert titles((Visibility.PUBLIC,), author_id=member.pk) == [public.title]
    assert titles((Visibility.MEMBERS,), author_id=member.pk) == [members_only.title]
    assert titles((Visibility.MEMBERS,), author_id=member.pk) == [members_only.title]
    assert titles((Visibility.PUBLIC,), author_id=member.pk) == [public.title]
    assert builds == [Visibility.PUBLIC, Visibility.MEMBERS, Visibility.PUBLIC]


def test_a_value_written_into_the_sql_is_refused_rather_than_run_with_the_placeholder(member):
    inlined = PreparedQuery(
        lambda *, pk: Discussion.objects.filter(pk__in=RawSQL(f"SELECT {pk}", ())), integers=("pk",)
    )
    with pytest.raises(ImproperlyConfigured, match="written into the SQL"):
        inlined((), pk=1)


def test_a_value_that_never_reaches_the_database_is_refused_unless_optional(member):
    make_discussion(member)

    def build(*, pk):
        return Discussion.objects.all()

    with pytest.raises(ImproperlyConfigured, match="did not reach the database"):
        PreparedQuery(build, integers=("pk",))((), pk=1)
    assert len(PreparedQuery(build, integers=("pk",), optional=("pk",))((), pk=1)) == 1


def test_every_value_must_be_given():
    query = PreparedQuery(lambda *, pk: Discussion.objects.filter(pk=pk), integers=("pk",))
    with pytest.raises(TypeError):
        query(())


def test_an_id_no_database_column_can_hold_matches_nothing_and_the_page_is_missing(member):
    by_pk = PreparedQuery(lambda *, pk: Discussion.objects.filter(pk=pk), integers=("pk",))
    assert by_pk((), pk=2**70) == []

    response = Client().get(f"/d/{2**70}/")
    assert response.status_code == 404


def test_a_time_is_a_value_too_the_badge_ends_when_the_verification_does(member, user_factory):
    clinician = user_factory("okafor")
    verification = approve_professional(clinician)
    discussion = make_discussion(member)
    add_reply(discussion, clinician, "Pacing is the evidence-based approach.", as_professional=True)

    assert discussion_page_get_or_404(User.objects.get(pk=member.pk), discussion.pk).verified_replied is True

    type(verification).objects.filter(pk=verification.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert discussion_page_get_or_404(User.objects.get(pk=member.pk), discussion.pk).verified_replied is False


def test_the_discussion_page_lookup_follows_the_visibility_rule_for_each_viewer(member, outsider, user_factory):
    members_only = make_discussion(member, visibility=Visibility.MEMBERS)
    held = make_discussion(member, title="Held", status=Discussion.Status.HELD)

    assert Client().get(members_only.get_absolute_url()).status_code == 404
    reader = Client()
    reader.force_login(outsider)
    assert reader.get(members_only.get_absolute_url()).status_code == 200
    assert reader.get(held.get_absolute_url()).status_code == 404
    author = Client()
    author.force_login(member)
    assert author.get(held.get_absolute_url()).status_code == 200
    # Members with the same communities share one compiled query: their ids are values in it.
    assert visibility_shape(outsider) == visibility_shape(member)


@pytest.mark.django_db(transaction=True)
def test_a_thread_that_prepared_a_query_leaves_its_connection_to_be_closed_when_it_ends():
    # Under ASGI each request may run on a thread of its own: what a prepared query keeps
    # across requests must not hold that thread's connection open after it ends.
    query = PreparedQuery(lambda *, pk: Discussion.objects.filter(pk=pk), integers=("pk",))
    kept = []

    def request() -> None:
        query((), pk=1)
        kept.append(weakref.ref(connections["default"]))

    worker = threading.Thread(target=request)
    worker.start()
    worker.join()
    gc.collect()
    assert kept[0]() is None
