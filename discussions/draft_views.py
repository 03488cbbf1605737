"""Endpoints the writing forms call as a member types (static/js/drafts.js).

Form-encoded, CSRF-protected POSTs that answer in JSON. Without scripting they are
never called and the forms work as before; drafts just are not saved.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from discussions import drafts
from discussions.models import Discussion
from spoonful.ratelimits import rate_limit_check


def _error(reason: str, *, status: int = 400, errors: dict | None = None) -> JsonResponse:
    return JsonResponse({"error": reason, "errors": errors or {}}, status=status)


def _reason(error: ValidationError) -> tuple[str, dict]:
    errors = {field: list(messages) for field, messages in error.message_dict.items()}
    return " ".join(message for messages in errors.values() for message in messages), errors


@sensitive_post_parameters("title", "body", "hashtags", "content_warning")
@login_required
@require_POST
def draft_save(request: HttpRequest, key: str) -> JsonResponse:
    if not drafts.is_valid_key(key):
        return _error('A draft is for a new discussion ("new") or a reply ("reply-<discussion id>").')
    limited = rate_limit_check(request, "draft")
    if limited:
        response = _error(limited.message, status=429)
        response["Retry-After"] = str(limited.retry_after)
        return response
    fields = {name: request.POST.get(name, "") for name in drafts.NEW_FIELDS}
    try:
        draft = drafts.draft_save(
            user=request.user, key=key, submission_token=request.POST.get("submission_token", ""), **fields
        )
    except ValidationError as error:
        reason, errors = _reason(error)
        return _error(reason, errors=errors)
    except Discussion.DoesNotExist:
        return _error("There is no such discussion.", status=404)
    saved_at = draft.updated_at if draft is not None else timezone.now()
    return JsonResponse({"saved_at": saved_at.isoformat()})


@login_required
@require_POST
def draft_discard(request: HttpRequest, key: str) -> JsonResponse:
    if not drafts.is_valid_key(key):
        return _error('A draft is for a new discussion ("new") or a reply ("reply-<discussion id>").')
    drafts.draft_discard(user=request.user, key=key)
    return JsonResponse({"discarded": True})
