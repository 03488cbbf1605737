"""Staff's table pages at a phone's width: a wide table scrolls inside its own focusable box,
never the whole page (WCAG 1.4.10 reflow), and axe-core finds nothing serious in either scheme."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from accounts.verification import verification_apply
from moderation.screening import keyword_rule_create

PHONE = {"width": 390, "height": 844}
PAGES = ["/mod/rules/", "/mod/log/", "/mod/verifications/", "/staff/jobs/"]


@pytest.fixture
def staff_with_tables(user_factory):
    staff = user_factory("jo", display_name="Jo (staff)", is_staff=True, two_factor=True)
    applicant = user_factory("lin", display_name="Lin")
    keyword_rule_create(
        acting_user=staff, community=None, pattern="miracle-cure-supplement-discount", message="Adverts are held"
    )
    verification_apply(
        applicant=applicant,
        profession="nurse",
        speciality="Community nursing for people with long-term conditions",
        licence_number="RN-0000-1234-5678",
        issuing_body="Nursing and Midwifery Council of the United Kingdom",
        country="GB",
    )
    return staff


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_table_pages_fit_a_phone_and_pass_axe(live_url, browser, assert_accessible, staff_with_tables, scheme):
    client = Client()
    client.force_login(staff_with_tables)
    context = browser.new_context(color_scheme=scheme, viewport=PHONE)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_url,
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(8000)
    for path in PAGES:
        page.goto(live_url + path)
        expect(page.locator("table").first).to_be_visible()
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
                .map(e => e.tagName + '.' + e.className).slice(0, 8)"""
        )
        fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, f"{path} scrolls sideways: {wide}"
        expect(page.locator(".table-scroll").first).to_have_attribute("tabindex", "0")
        assert_accessible(page)
    context.close()
