"""Schemathesis hooks for egov: the few bodies it cannot write by itself."""

import schemathesis


@schemathesis.serializer("application/toml")
def toml(ctx, value):
    # Reference-data uploads (calendars, process definitions, service
    # guides) are TOML text: whatever was generated is sent as text.
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")
