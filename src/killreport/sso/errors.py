"""The SSO exception tree: what a login, a token check or a refresh can refuse, in words.

* SsoError
  - LoginRefused        a callback that must not log anyone in (state, code, JWT, next)
  - TokenRejected       a JWT that fails a check (signature, issuer, audience, expiry...)
  - InvalidGrant        SSO answered `invalid_grant` to a refresh: the grant is revoked
  - SsoUnavailable      SSO did not answer usefully (network, 5xx, odd body)
  - VaultKeyMissing     no secret key where one is required; names the variable
"""

from __future__ import annotations


class SsoError(Exception):
    """Base of every SSO error; the message is safe to show (it never holds a token)."""


class LoginRefused(SsoError):
    """The login cannot go on; the message says why, for the failure page."""


class TokenRejected(LoginRefused):
    """An access token failed validation."""


class InvalidGrant(SsoError):
    """SSO refused the refresh token (`invalid_grant`): the pilot must log in again."""


class SsoUnavailable(SsoError):
    """SSO could not be reached or answered something unusable."""


class VaultKeyMissing(SsoError):
    """No key to encrypt tokens with; the message names KILLREPORT_SECRET_KEY."""
