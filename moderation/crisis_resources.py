"""Crisis resources (helplines) that staff keep on /mod/crisis-resources/: the writes,
each audited with the acting role. A poster whose words suggest crisis is shown the
ones for their region, then the site-wide ones (``moderation.support``), so a wrong
number or a plain-HTTP link here reaches someone at their worst moment: every write
checks the row before it is saved.
"""

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Max

from accounts.models import User
from accounts.selectors import is_site_staff
from moderation.audit import record_action
from moderation.models import CrisisResource, ModerationAction

# ISO 3166-1 alpha-2: a region that is not a country code would never match a poster's.
_ISO_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
    CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO
    FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE
    JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO
    MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW
    PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM
    TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
"""
ISO_REGIONS = frozenset(_ISO_CODES.split())
# Digits with the separators people write; "+" only in front. At least two digits (988, 116 123).
PHONE_PATTERN = re.compile(r"\+?[0-9][0-9 ()\-.]*[0-9]")
MAX_ORDER = 32767
https_only = URLValidator(schemes=["https"])


def _require_staff(acting_user: User) -> None:
    if not is_site_staff(acting_user):
        raise PermissionDenied("Only staff keep the crisis resources.")


def _cleaned(*, region: str, name: str, description: str, phone: str, url: str) -> dict:
    """The row's fields, trimmed, or a ValidationError naming each field that is wrong."""
    fields = {
        "region": (region or "").strip().upper(),
        "name": " ".join((name or "").split()),
        "description": " ".join((description or "").split()),
        "phone": " ".join((phone or "").split()),
        "url": (url or "").strip(),
    }
    errors: dict[str, str] = {}
    if fields["region"] and fields["region"] not in ISO_REGIONS:
        errors["region"] = "Use a two-letter country code such as GB or US, or leave it empty for everywhere."
    if not fields["name"]:
        errors["name"] = "Give the resource a name."
    elif len(fields["name"]) > 120:
        errors["name"] = "Keep the name under 120 characters."
    if len(fields["description"]) > 300:
        errors["description"] = "Keep the description under 300 characters."
    if fields["phone"] and (len(fields["phone"]) > 40 or not PHONE_PATTERN.fullmatch(fields["phone"])):
        errors["phone"] = "Write the number with digits, spaces and dashes only, such as 116 123 or +1 988."
    if fields["url"]:
        try:
            https_only(fields["url"])
        except ValidationError:
            errors["url"] = "Give a full https:// address; plain http is not accepted."
        else:
            if len(fields["url"]) > 200:
                errors["url"] = "Keep the address under 200 characters."
    if not fields["phone"] and not fields["url"] and "phone" not in errors and "url" not in errors:
        errors["phone"] = "Give a phone number, a web address, or both."
    if errors:
        raise ValidationError(errors)
    return fields


def _checked_order(order: int | None) -> int | None:
    if order is not None and not 0 <= order <= MAX_ORDER:
        raise ValidationError({"order": f"Use a position from 0 to {MAX_ORDER}."})
    return order


def _state(resource: CrisisResource) -> dict:
    return {
        "resource_id": resource.pk,
        "region": resource.region,
        "name": resource.name,
        "description": resource.description,
        "phone": resource.phone,
        "url": resource.url,
        "order": resource.order,
    }


def _record(acting_user: User, reason: str, change: str, *, before: dict | None, after: dict | None) -> None:
    record_action(
        acting_user=acting_user,
        kind=ModerationAction.Kind.CRISIS_RESOURCE,
        reason=reason,
        before=before,
        after={**(after or {}), "change": change, "role": "staff"},
    )


def _next_order(region: str) -> int:
    highest = CrisisResource.objects.filter(region=region).aggregate(highest=Max("order"))["highest"]
    return 0 if highest is None else min(highest + 1, MAX_ORDER)


def crisis_resource_create(
    *,
    acting_user: User,
    region: str,
    name: str,
    description: str = "",
    phone: str = "",
    url: str = "",
    order: int | None = None,
) -> CrisisResource:
    """Add a resource; without ``order`` it goes last in its region. Staff only."""
    _require_staff(acting_user)
    fields = _cleaned(region=region, name=name, description=description, phone=phone, url=url)
    order = _checked_order(order)
    with transaction.atomic():
        resource = CrisisResource.objects.create(
            **fields, order=_next_order(fields["region"]) if order is None else order
        )
        _record(acting_user, "Added a crisis resource.", "added", before=None, after=_state(resource))
    return resource


def crisis_resource_update(
    *,
    acting_user: User,
    resource: CrisisResource,
    region: str,
    name: str,
    description: str = "",
    phone: str = "",
    url: str = "",
    order: int | None = None,
) -> CrisisResource:
    """Change a resource; ``order`` None keeps its place (the last one, if it moves region)."""
    _require_staff(acting_user)
    fields = _cleaned(region=region, name=name, description=description, phone=phone, url=url)
    order = _checked_order(order)
    with transaction.atomic():
        resource = CrisisResource.objects.select_for_update().get(pk=resource.pk)
        before = _state(resource)
        if order is None and fields["region"] != resource.region:
            order = _next_order(fields["region"])
        for field, value in fields.items():
            setattr(resource, field, value)
        if order is not None:
            resource.order = order
        if _state(resource) == before:
            return resource
        resource.save()
        _record(acting_user, "Changed a crisis resource.", "changed", before=before, after=_state(resource))
    return resource


def crisis_resource_delete(*, acting_user: User, resource: CrisisResource) -> None:
    """Delete a resource; the audit log keeps what it said."""
    _require_staff(acting_user)
    with transaction.atomic():
        resource = CrisisResource.objects.select_for_update().get(pk=resource.pk)
        before = _state(resource)
        resource.delete()
        _record(acting_user, "Deleted a crisis resource.", "deleted", before=before, after=None)


def crisis_resource_move(*, acting_user: User, resource: CrisisResource, up: bool) -> CrisisResource:
    """Swap a resource with its neighbour in the region's order (shown in that order to a
    poster). The region is renumbered 0, 1, 2... first, so equal positions cannot stall
    a move. At the top (or bottom) already, nothing changes and nothing is logged."""
    _require_staff(acting_user)
    with transaction.atomic():
        resource = CrisisResource.objects.select_for_update().get(pk=resource.pk)
        siblings = list(
            CrisisResource.objects.select_for_update().filter(region=resource.region).order_by("order", "name", "pk")
        )
        index = next(i for i, row in enumerate(siblings) if row.pk == resource.pk)
        target = index - 1 if up else index + 1
        if not 0 <= target < len(siblings):
            return resource
        before = _state(resource)
        siblings[index], siblings[target] = siblings[target], siblings[index]
        for position, row in enumerate(siblings):
            if row.order != position:
                row.order = position
                row.save(update_fields=["order"])
        resource = siblings[target]
        _record(
            acting_user,
            "Moved a crisis resource up." if up else "Moved a crisis resource down.",
            "moved",
            before=before,
            after=_state(resource),
        )
    return resource
