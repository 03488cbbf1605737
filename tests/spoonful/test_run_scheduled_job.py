"""``manage.py run_scheduled_job <name>``: an operator runs one declared schedule's job now."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from discussions.models import Draft
from spoonful.schedules import SCHEDULES


def test_it_runs_the_named_job_now_and_says_what_it_returned(db, member):
    draft = Draft.objects.create(user=member, key="new", title="Forgotten")
    Draft.objects.filter(pk=draft.pk).update(updated_at=timezone.now() - timedelta(days=365))
    out = StringIO()

    call_command("run_scheduled_job", "draft-retention", stdout=out)

    assert not Draft.objects.exists()
    assert out.getvalue().strip() == "draft-retention (discussions.retention.draft_delete_stale): 1"


def test_an_unknown_name_lists_the_names_there_are():
    with pytest.raises(CommandError) as refused:
        call_command("run_scheduled_job", "drafts")

    assert "No scheduled job is named 'drafts'" in str(refused.value)
    assert all(entry.name in str(refused.value) for entry in SCHEDULES)
