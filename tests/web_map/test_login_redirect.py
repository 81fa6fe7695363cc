"""After signing in, the login page goes back only to a page of this site: a ``next`` that the browser
would read as another host (``/\\host``, ``//host``, ``http://…``), also once it has resolved dot
segments and escapes (``/.//host``, ``/..//x``, ``/%2e//x``, ``/./\\x``), ends on the map instead."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import PASSWORD
from tests.web_map.conftest import PageWatch, new_context

AS_TYPED = [  # the address bar as an attacker's link has it
    ("/%5Cexample.org/x", "/"), ("//example.org/x", "/"), ("http://example.org/", "/"),
    ("/%09/example.org", "/"), ("/.//example.org", "/"), ("/..//example.org", "/"), ("/%2e//example.org", "/"),
    ("/./%5Cexample.org", "/"), ("/place-names?q=ltt", "/place-names?q=ltt"),
]
ESCAPED = [  # each payload reaching the page exactly as written (escaped once more in the link)
    (quote(payload, safe=""), "/") for payload in
    ["/.//example.org", "/..//example.org", "/%2e//example.org", "/./\\example.org", "/%252e//example.org"]
]


@pytest.mark.parametrize("next_param, lands_on", AS_TYPED + ESCAPED)
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
        assert watch.page.evaluate("location.host") == live_server.removeprefix("http://")  # still 127.0.0.1
        watch.assert_clean()  # nothing was requested from another host
    finally:
        context.close()
