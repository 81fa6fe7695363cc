"""After signing in, the page goes back only to a path of this site: every ``next`` a browser would
read as another origin — also after it resolves ``.``/``..`` segments and percent-escapes — becomes
``/``. (The browser replays these in tests/web_map/test_login_redirect.py.)"""

from __future__ import annotations

import pytest

from gis_server.routers.login import local_next
from tests.conftest import PASSWORD

ELSEWHERE = [
    "/.//evil.example", "/..//x", "/%2e//x", "/./\\x",  # let through before (issue 13)
    "//evil.example", "/\\evil.example", "/%5Cevil.example", "/%5cevil.example", "/%2F/evil.example",
    "/%2f%2fevil.example", "/%252e//x", "/%25252e//x", "/.%2e//x", "/%2e%2e//x", "/a/../..//x", "/a/./b",
    "/\t/evil.example", "/%09/evil.example", "/\n/evil.example", "/%0d%0a/evil.example", "/%00",
    "http://evil.example/", "https:evil.example", "javascript:alert(1)", "evil.example", "", None, "/%ff",
]
OURS = ["/", "/place-names?q=ltt", "/features/households/3", "/coverage#village", "/place-names?q=%E6%B5%B7",
        "/siting?next=//x"]  # a query or fragment is not where the browser finds the host


@pytest.mark.parametrize("raw", ELSEWHERE)
def test_a_next_elsewhere_becomes_the_map(raw):
    assert local_next(raw) == "/"


@pytest.mark.parametrize("raw", OURS)
def test_a_path_of_this_site_is_kept_as_it_is(raw):
    assert local_next(raw) == raw


def test_the_session_sign_in_answers_with_the_checked_page(anonymous):
    for raw, expected in [("/.//evil.example", "/"), ("/place-names?q=ltt", "/place-names?q=ltt")]:
        answer = anonymous.post("/api/auth/session", data={"username": "viewer", "password": PASSWORD, "next": raw})
        assert answer.status_code == 200 and answer.json()["next"] == expected
    assert anonymous.post("/api/auth/session", data={"username": "viewer", "password": PASSWORD}).json()["next"] == "/"
