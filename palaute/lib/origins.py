"""Web origins (scheme://host[:port]) written the way browsers write an ``Origin`` header.

One normaliser serves both sides: the settings form that stores an organisation's allowed
origins and the public endpoint that compares a request's ``Origin`` with them.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalise_origin(text: str) -> str:
    """``text`` as a browser writes an Origin header (scheme://host[:port], lower case, no
    default port). Raises ValueError with the reason."""
    if any(ch.isspace() for ch in text):
        raise ValueError(_("must not contain spaces"))
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError(_("the port must be a number from 1 to 65535")) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.netloc:
        raise ValueError(_("must start with https:// or http://"))
    if parts.username is not None or parts.password is not None:
        raise ValueError(_("must not contain a user name or password"))
    if parts.path not in ("", "/") or parts.query or parts.fragment or text.endswith(("?", "#")):
        raise ValueError(_("must not have a path, query or fragment; give scheme://host[:port]"))
    host = _ascii_host((parts.hostname or "").lower())
    if host is None:
        raise ValueError(_("the host name is not valid"))
    if port == 0:
        raise ValueError(_("the port must be a number from 1 to 65535"))
    shown_host = f"[{host}]" if ":" in host else host
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{shown_host}"
    return f"{scheme}://{shown_host}:{port}"


def _ascii_host(host: str) -> str | None:
    """The host as browsers put it in an Origin header (IDNA for international names), or
    None if it is not a host name or IP address."""
    if not host:
        return None
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = ascii_host.rstrip(".").split(".")
    if len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels):
        return None
    return ascii_host
