"""Every page, in headless Chromium at 1280 px: labelled controls, no horizontal scrolling, keyboard reach.

The issue asks for labels on every form field, keyboard-usable forms and no horizontal
scrolling at 1280 px wide; this walks the pages a user reaches from the menu (and a
document, an article and a calculator result) and checks all three on each.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser

PAGES = [
    "/policies",
    "/policies/wuzhong-2025",
    "/policies/wuzhong-2025/articles/1",
    "/calc",
    "/compare",
    "/batch",
    "/plan",
]

# Controls a user fills or operates, and how each is named for a screen reader.
UNLABELLED = """
() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')
                && !(el.type === 'submit' || el.type === 'button') )
  .map(el => el.outerHTML.slice(0, 120))
"""

# Every visible control reachable with Tab (none taken out of the tab order, except a
# default submit button hidden from everyone, which Enter in a field presses).
UNREACHABLE = """
() => [...document.querySelectorAll('input, select, textarea, button, a[href]')]
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null && el.tabIndex < 0 && el.getAttribute('aria-hidden') !== 'true')
  .map(el => el.outerHTML.slice(0, 120))
"""


@pytest.mark.parametrize("path", PAGES)
def test_page_is_labelled_fits_1280_and_is_keyboard_reachable(server: str, page: Any, path: str) -> None:
    response = page.goto(f"{server}{path}")
    assert response is not None and response.status == 200
    assert page.evaluate(UNLABELLED) == []
    assert page.evaluate(UNREACHABLE) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    # Tab moves the focus onto the page's controls, starting from the top.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement && document.activeElement !== document.body")
