"""EVE SSO: OAuth2 code flow with PKCE, JWT validation, token vault."""
