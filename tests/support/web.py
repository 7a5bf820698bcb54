"""A browser-like HTTP client for the leaders' pages: cookies, the login form's CSRF token, forms."""

from __future__ import annotations

import re
from datetime import datetime

import requests

from handlers.accounts import add_user
from storage.db import Database

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse 7"


def make_user(db: Database, name: str, role: str, cadre: str | None = None, password: str = PASSWORD) -> None:
    add_user(db=db, name=name, role=role, cadre_name=cadre, password=password, now=datetime.now().astimezone())


def csrf_in(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


class WebClient:
    """One browser: a cookie jar and the server's base URL; redirects are not followed unless asked."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()

    def get(self, path: str, *, follow: bool = False, **params: str) -> requests.Response:
        return self.http.get(self.base_url + path, params=params or None, allow_redirects=follow, timeout=30)

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        return self.http.post(self.base_url + path, data=data, allow_redirects=False, timeout=30)

    def login(self, name: str, password: str = PASSWORD, *, next_path: str = "/") -> requests.Response:
        form = self.get("/login", next=next_path)
        assert form.status_code == 200, form.text
        return self.post(
            "/login", {"username": name, "password": password, "csrf_token": csrf_in(form.text), "next": next_path}
        )

    def csrf(self) -> str:
        """The session's CSRF token, as a page's forms carry it."""
        return csrf_in(self.get("/", follow=True).text)
