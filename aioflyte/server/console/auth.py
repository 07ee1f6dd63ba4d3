"""The console's gate when the server's authentication is on: a login form takes the client id and secret the
token endpoint accepts and sets the access token in an HttpOnly, SameSite=Strict cookie; a request may instead
send ``Authorization: Bearer TOKEN``. State-changing requests (POST) must also come from the console's own origin.
"""

from __future__ import annotations

import hmac
from typing import Any

from aiohttp import web

from aioflyte.server.auth import InvalidToken, ServerSecurity

COOKIE = "aioflyte_console_token"


class ConsoleAuth:
    def __init__(self, security: ServerSecurity) -> None:
        self.security = security

    @property
    def enabled(self) -> bool:
        return self.security.auth is not None and self.security.issuer is not None

    def problem(self, request: web.Request) -> str | None:
        """Why ``request`` may not see the console (None: it may)."""
        if not self.enabled:
            return None
        assert self.security.issuer is not None
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            token = request.cookies.get(COOKIE, "")
        if not token:
            return "sign in with the server's client id and secret"
        try:
            self.security.issuer.verify(token.strip())
        except InvalidToken as e:
            return f"{e}: sign in again"
        return None

    def check_credentials(self, client_id: str, secret: str) -> bool:
        auth = self.security.auth
        if auth is None:
            return True
        same_id = hmac.compare_digest(client_id.encode(), auth.client_id.encode())
        same_secret = hmac.compare_digest(secret.encode(), auth.client_secret.encode())
        return same_id and same_secret

    def login(self, response: web.StreamResponse, client_id: str) -> None:
        assert self.security.auth is not None and self.security.issuer is not None
        token, ttl = self.security.issuer.issue(client_id, self.security.auth.scopes)
        response.set_cookie(
            COOKIE, token, max_age=int(ttl), path="/console", httponly=True, samesite="Strict",
            secure=self.security.ssl_context is not None,
        )  # fmt: skip

    @staticmethod
    def logout(response: web.StreamResponse) -> None:
        response.del_cookie(COOKIE, path="/console")


def same_origin(request: web.Request) -> bool:
    """A POST from a page of this server (browsers send ``Origin`` on POST; clients without one are not browsers)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin == f"{request.scheme}://{request.host}"


def form_value(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""
