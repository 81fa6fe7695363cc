"""After signing in, the login page goes back only to a page of this site: a ``next`` that the browser
would read as another host (``/\\host``, ``//host``, ``http://…``) ends on the map instead."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.web_map.conftest import PageWatch, new_context


@pytest.mark.parametrize("next_param, lands_on", [
    ("/%5Cexample.org/x", "/"), ("//example.org/x", "/"), ("http://example.org/", "/"),
    ("/%09/example.org", "/"), ("/place-names?q=ltt", "/place-names?q=ltt"),
])
def test_next_only_leads_to_our_own_pages(browser: Any, live_server: str, next_param: str, lands_on: str) -> None:
    context = new_context(browser)
    watch = PageWatch(context.new_page(), live_server)
    try:
        watch.page.goto(f"{live_server}/login?next={next_param}")
        watch.page.fill("#username", "viewer")
        watch.page.fill("#password", PASSWORD)
        watch.page.click("#submit")
        watch.page.wait_for_url(f"{live_server}{lands_on}")
        watch.page.wait_for_function("window.HC && HC.ready === true")
        watch.assert_clean()  # nothing was requested from another host
    finally:
        context.close()
