"""OAuth state of the simulated account: browser sessions, codes, access/refresh tokens."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass, field


@dataclass(slots=True)
class OAuthSession:
    """A cookie-bound sign-in, from /authorize through /signin and 2FA to the code."""

    id: str
    code_challenge: str
    hardware_id: str
    csrf: str
    awaiting_2fa: bool = False
    authenticated: bool = False


@dataclass(frozen=True, slots=True)
class IssuedCode:
    code: str
    code_challenge: str
    hardware_id: str


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(slots=True)
class OAuthState:
    twofa_enabled: bool
    twofa_code: str
    token_expiry_seconds: int
    rotate_refresh_tokens: bool
    sessions: dict[str, OAuthSession] = field(default_factory=dict)
    codes: dict[str, IssuedCode] = field(default_factory=dict)
    access: dict[str, float] = field(default_factory=dict)
    refresh: dict[str, str] = field(default_factory=dict)
    issued: list[str] = field(default_factory=list)
    """Every token ever issued (tests check that none leaks into logs or MQTT)."""

    def new_session(self, code_challenge: str, hardware_id: str) -> OAuthSession:
        session = OAuthSession(
            id=secrets.token_urlsafe(16),
            code_challenge=code_challenge,
            hardware_id=hardware_id,
            csrf=secrets.token_hex(8),
        )
        self.sessions[session.id] = session
        return session

    def issue_code(self, session: OAuthSession) -> str:
        """A single-use authorization code for an authenticated session (which then ends)."""
        code = secrets.token_urlsafe(12)
        self.codes[code] = IssuedCode(code, session.code_challenge, session.hardware_id)
        self.sessions.pop(session.id, None)
        return code

    def take_code(self, code: str) -> IssuedCode | None:
        return self.codes.pop(code, None)

    def issue_tokens(self, hardware_id: str, now: float) -> TokenPair:
        pair = TokenPair(
            access_token=f"AT-{secrets.token_hex(12)}",
            refresh_token=f"RT-{secrets.token_hex(12)}",
            expires_in=self.token_expiry_seconds,
        )
        self.issued += [pair.access_token, pair.refresh_token]
        self.access[pair.access_token] = now + pair.expires_in
        self.refresh[pair.refresh_token] = hardware_id
        return pair

    def refresh_grant(self, refresh_token: str, hardware_id: str, now: float) -> TokenPair | None:
        """New tokens for a valid refresh token bound to ``hardware_id``; rotates if set."""
        if self.refresh.get(refresh_token) != hardware_id:
            return None
        pair = self.issue_tokens(hardware_id, now)
        if self.rotate_refresh_tokens:
            del self.refresh[refresh_token]
        else:
            del self.refresh[pair.refresh_token]
            pair = TokenPair(pair.access_token, refresh_token, pair.expires_in)
        return pair

    def access_valid(self, token: str, now: float) -> bool:
        return self.access.get(token, 0.0) > now

    def expire(self, *, refresh_tokens: bool = False) -> None:
        self.access.clear()
        if refresh_tokens:
            self.refresh.clear()


def pkce_matches(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
    return secrets.compare_digest(expected, challenge)


def is_uuid(value: str | None) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return value is not None
