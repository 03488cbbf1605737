"""What the support page shows a poster whose words suggest crisis: the crisis resources
(helplines) for their region, then the site-wide ones, or built-in defaults."""

from django.db.models import Q
from django.http import HttpRequest

from moderation.models import CrisisResource

DEFAULT_CRISIS_RESOURCES = (
    {
        "name": "Emergency services",
        "description": "If you might act on these thoughts, or you are in danger now, call your local emergency "
        "number (112 in Europe, 999 in the UK, 911 in North America).",
        "phone": "",
        "url": "",
    },
    {
        "name": "Find a helpline",
        "description": "Free, confidential support lines in your country, by phone, text or chat.",
        "phone": "",
        "url": "https://findahelpline.com/",
    },
)


def region_from_request(request: HttpRequest) -> str:
    """The country part of the browser's first language ("en-GB" gives "GB"), or ""."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")[:200]
    for part in header.split(","):
        tag = part.split(";")[0].strip()
        pieces = tag.replace("_", "-").split("-")
        if len(pieces) >= 2 and len(pieces[1]) == 2 and pieces[1].isalpha():
            return pieces[1].upper()
    return ""


def crisis_resources_for(region: str = "") -> list[dict]:
    """Resources for the region first, then the site-wide ones; built-in defaults when none are configured."""
    rows = CrisisResource.objects.filter(Q(region=region.upper()[:2]) | Q(region="")) if region else None
    if rows is None:
        rows = CrisisResource.objects.filter(region="")
    found = sorted(rows, key=lambda row: (row.region == "", row.order, row.name))
    if not found:
        return [dict(resource) for resource in DEFAULT_CRISIS_RESOURCES]
    return [{"name": row.name, "description": row.description, "phone": row.phone, "url": row.url} for row in found]
