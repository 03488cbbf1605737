"""Serving attached files. There is no public media URL: every fetch goes through
``discussions.selectors.attachment_get_readable_or_404``, which applies the visibility
rule of the post the file belongs to. Forbidden and missing are the same 404.
"""

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from discussions.selectors import attachment_get_readable_or_404

# Short: a reader who loses access (left a community, blocked) stops getting the file
# from their own cache soon; "private" keeps it out of shared caches altogether.
CACHE_SECONDS = 300


@require_safe
def attachment_file(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    attachment = attachment_get_readable_or_404(request.user, pk, attachment_id)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404("No such attachment.") from error
    response = FileResponse(
        handle,
        # Only the re-encoded images are shown in the page; a PDF is always a download.
        as_attachment=not attachment.is_image,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = f"private, max-age={CACHE_SECONDS}"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
