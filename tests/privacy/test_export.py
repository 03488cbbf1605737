"""Export my data (DA-01..03): after reauthentication, an archive of everything of the
member and nothing of anyone else, downloadable by its owner only, for seven days."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import data_export
from accounts.models import Block, DataExport, ProfessionalVerification, Profile, VerificationEvent
from discussions.models import Discussion, Reaction, Reply, Revision, Visibility
from moderation.models import Flag
from notifications.models import NotificationPreference
from tests.helpers.jobs import queued_job_names, run_queued_jobs

pytestmark = pytest.mark.django_db

OTHERS_CANARIES = ("carolm", "Carol Member", "carolm@example.org", "otherreplycnry")


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def alice_data(world):
    """Alice's own data of every kind, beside other members' content in her threads."""
    alice, carol = world.users["author"], world.users["member"]
    profile = Profile.objects.create(user=alice, bio="mybiocnry", pronouns="she/her")
    profile.conditions.add(world.community)
    anonymous = Discussion.objects.create(
        author=alice,
        title="myanontitlecnry",
        body="myanonbodycnry",
        body_html="<p>myanonbodycnry</p>",
        is_anonymous=True,
        visibility=Visibility.COMMUNITY,
        last_activity_at=timezone.now(),
    )
    Revision.objects.create(discussion=world.posts["public"], title="oldtitlecnry", body="oldbodycnry", edited_by=alice)
    mine = Reply.objects.create(
        discussion=world.posts["members"],
        author=alice,
        number=2,
        path="000002",
        body="myreplycnry",
        body_html="<p>myreplycnry</p>",
        is_anonymous=True,
    )
    Reply.objects.create(
        discussion=world.posts["members"],
        author=carol,
        number=3,
        path="000003",
        parent=mine,
        body="otherreplycnry",
        body_html="<p>otherreplycnry</p>",
    )
    application = ProfessionalVerification.objects.create(
        applicant=alice, profession="nurse", licence_number="LICCNRY1", issuing_body="NMC", country="UK"
    )
    VerificationEvent.objects.create(application=application, kind="applied", actor=alice)
    NotificationPreference.objects.create(user=alice, kind="mention", in_app=False, email="digest")
    Flag.objects.create(flagger=alice, discussion=world.posts["community"], reason="spam", detail="myflagcnry")
    return {"anonymous": anonymous, "reply": mine}


def _archive(export: DataExport) -> dict:
    with export.file.open("rb") as handle:
        return json.loads(handle.read())


def test_the_archive_holds_everything_of_the_member(world, alice_data):
    export = data_export.data_export_request(user=world.users["author"])

    assert export.status == DataExport.Status.READY
    archive = _archive(export)
    assert archive["account"]["username"] == "aliceau"
    assert archive["account"]["email"] == "aliceau@example.org"
    assert archive["profile"]["bio"] == "mybiocnry"
    assert archive["profile"]["conditions"] == ["cnrycomm"]
    titles = {d["title"].split()[0] for d in archive["discussions"]}
    # Every visibility and state, anonymous included and marked.
    assert {"ttlpublicqx", "ttlmembersqx", "ttlcommunityqx", "ttlprivateqx", "ttlremovedqx", "ttlheldqx"} <= titles
    assert [d["anonymous"] for d in archive["discussions"] if d["title"] == "myanontitlecnry"] == [True]
    assert {d["visibility"] for d in archive["discussions"]} == {"public", "members", "community"}
    [reply] = archive["replies"]
    assert reply["body"] == "myreplycnry" and reply["anonymous"] is True
    public = next(d for d in archive["discussions"] if d["id"] == world.posts["public"].pk)
    assert public["revisions"] == [
        {"title": "oldtitlecnry", "body": "oldbodycnry", "created_at": public["revisions"][0]["created_at"]}
    ]
    assert [m["community"] for m in archive["memberships"]] == ["cnrycomm", "cnrypriv"]
    assert archive["professional_verifications"][0]["licence_number"] == "LICCNRY1"
    assert archive["professional_verifications"][0]["events"][0]["kind"] == "applied"
    assert archive["notification_settings"] == [{"kind": "mention", "in_app": False, "email": "digest"}]
    assert archive["blocks"][0]["blocked_username"] == "davebl"
    assert archive["flags_made"][0]["detail"] == "myflagcnry"
    assert set(archive["consent"]) == {"health_data_consent_version", "health_data_consent_at"}


def test_the_archive_holds_nothing_of_anyone_else(world, alice_data):
    export = data_export.data_export_request(user=world.users["author"])

    text = export.file.open("rb").read().decode()
    for canary in (*OTHERS_CANARIES, "zedidcnry", "rplpublicqx", "ttlanonymousqx", "Jo Staff", "faymt"):
        assert canary not in text
    assert "password" not in text.lower()


def test_only_the_owner_can_see_and_download_an_export(world, alice_data):
    alice = world.client("author")
    export = data_export.data_export_request(user=world.users["author"])

    status = alice.get(f"/settings/privacy/export/{export.pk}/")
    download = alice.get(f"/settings/privacy/export/{export.pk}/download/")

    assert status.status_code == 200
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"myanonbodycnry" in b"".join(download.streaming_content)
    for other in ("member", "staff", "mod_this"):
        assert world.client(other).get(f"/settings/privacy/export/{export.pk}/").status_code == 404
        assert world.client(other).get(f"/settings/privacy/export/{export.pk}/download/").status_code == 404
    assert world.client("visitor").get(f"/settings/privacy/export/{export.pk}/download/").status_code == 302
    # Not under MEDIA_ROOT, and private storage has no URL.
    assert "media" not in export.file.path
    with pytest.raises(ValueError):
        export.file.url  # noqa: B018


def test_an_export_expires_after_seven_days(world):
    export = data_export.data_export_request(user=world.users["author"])
    assert export.expires_at - export.finished_at == timedelta(days=7)

    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert world.client("author").get(f"/settings/privacy/export/{export.pk}/download/").status_code == 404
    path = export.file.path
    assert data_export.data_export_delete_expired() == 1
    assert not DataExport.objects.filter(pk=export.pk).exists()
    import os

    assert not os.path.exists(path)


def test_requesting_an_export_needs_a_post_and_recent_authentication(world):
    alice = world.client("author")

    assert alice.get("/settings/privacy/export/").status_code == 405
    stale = alice.post("/settings/privacy/export/")
    assert stale.status_code == 302
    assert "/accounts/reauthenticate/" in stale["Location"]
    assert not DataExport.objects.exists()

    alice.post("/accounts/reauthenticate/", {"password": "correct horse battery staple"})
    fresh = alice.post("/settings/privacy/export/")

    export = DataExport.objects.get()
    assert fresh["Location"] == f"/settings/privacy/export/{export.pk}/"
    assert export.user == world.users["author"]


def test_a_large_account_is_exported_by_a_job_queued_with_the_request(world, settings):
    settings.EXPORT_INLINE_MAX_POSTS = 0
    settings.JOBS_IMMEDIATE = False

    export = data_export.data_export_request(user=world.users["author"])

    assert export.status == DataExport.Status.PENDING
    assert queued_job_names() == ["accounts.data_export.data_export_build"]
    html = world.client("author").get(f"/settings/privacy/export/{export.pk}/").content.decode()
    assert 'http-equiv="refresh"' in html
    run_queued_jobs()
    export.refresh_from_db()
    assert export.status == DataExport.Status.READY
    assert "Download my data" in world.client("author").get(f"/settings/privacy/export/{export.pk}/").content.decode()
    data_export.data_export_build(export.pk)  # a second run of the job changes nothing
    assert DataExport.objects.get(pk=export.pk).file.name == export.file.name


def test_blocks_are_listed_and_removable_from_privacy_settings(world):
    html = world.client("author").get("/settings/privacy/").content.decode()
    assert "Dave Blocked" in html
    world.client("author").post("/u/davebl/unblock/", {"next": "settings"})
    assert not Block.objects.filter(blocker=world.users["author"]).exists()


def test_the_daily_privacy_housekeeping_deletes_expired_archives(world, capsys):
    from django.core.management import call_command

    export = data_export.data_export_request(user=world.users["author"])
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    call_command("privacy_housekeeping")

    assert not DataExport.objects.filter(pk=export.pk).exists()
    assert "Deleted 1 expired data export" in capsys.readouterr().out


def test_the_archive_lists_the_members_reactions_and_not_who_else_reacted(world, alice_data):
    alice, carol = world.users["author"], world.users["member"]
    carols_reply = Reply.objects.get(discussion=world.posts["members"], number=3)
    Reaction.objects.create(user=alice, reply=carols_reply, kind=Reaction.Kind.THANK_YOU)
    Reaction.objects.create(user=alice, discussion=world.posts["members"], kind=Reaction.Kind.ME_TOO)
    Reaction.objects.create(user=carol, reply=alice_data["reply"], kind=Reaction.Kind.STRENGTH)

    archive = _archive(data_export.data_export_request(user=alice))

    assert [(r["discussion_id"], r["reply_number"], r["kind"]) for r in archive["reactions"]] == [
        (world.posts["members"].pk, 3, "thank_you"),
        (world.posts["members"].pk, None, "me_too"),
    ]
