"""Where an endpoint may point (server-side request forgery guard).

A webhook URL is typed by a customer's manager and fetched by our server, so it must not
become a way into the server's own network: by default every address the host name resolves
to must be a public (global) one, and the scheme must be https. With
``WEBHOOKS_ALLOW_PRIVATE_NETWORKS`` (on by default with DEBUG) loopback, private and link-local
addresses are allowed too, and plain http:// is allowed for them only — an intranet chat server
or a receiver on the same machine. Plain http:// to the internet is never allowed: deliveries
carry customer feedback and a signature.

The check runs when an endpoint is saved and again before every attempt, so a name that is
later pointed at a private address (DNS rebinding) is caught at send time. A name that does
not resolve when the endpoint is saved is accepted (DNS may be down for a moment); its
attempts fail until it resolves.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _

from palaute.webhooks import conf

MAX_URL_LENGTH = 2000
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(ValueError):
    """The URL may not be used; ``message`` says why (lazily translated)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def check_url(url: str) -> None:
    """Raise AddressRefused when ``url`` is not an allowed endpoint."""
    if len(url) > MAX_URL_LENGTH:
        raise AddressRefused(_("The URL is too long (at most 2,000 characters)."))
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise AddressRefused(_("Enter a valid URL.")) from None
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise AddressRefused(_("Enter a URL that starts with https://."))
    if parts.username is not None or parts.password is not None:
        raise AddressRefused(_("Remove the user name and password from the URL."))
    allow_private = conf.allow_private_networks()
    plain_http_refused = AddressRefused(_("Use https:// (plain http:// is not allowed)."))
    if parts.scheme == "http" and not allow_private:
        raise plain_http_refused
    addresses = _addresses(host)
    if addresses is None:
        # Not resolvable now: accepted (each attempt checks again), but plain http only for
        # a name that is local by definition.
        if parts.scheme == "http" and not _is_local_name(host):
            raise plain_http_refused
        return
    private = [address for address in addresses if not is_public(address)]
    if private and not allow_private:
        raise AddressRefused(
            _("The URL points to a private or local network address (%(address)s).")
            % {"address": private[0]}
        )
    if parts.scheme == "http" and len(private) < len(addresses):
        raise plain_http_refused


def resolve_problem(url: str) -> str | None:
    """Before an attempt: None when the URL may be fetched now, else why not (English, for
    the delivery log)."""
    parts = urlsplit(url)
    addresses = _addresses(parts.hostname or "")
    if addresses is None:
        return f"the host name {parts.hostname} does not resolve"
    if not conf.allow_private_networks():
        for address in addresses:
            if not is_public(address):
                return f"{parts.hostname} resolves to a private or local address ({address})"
    return None


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _addresses(host: str) -> list[IPAddress] | None:
    """Every address ``host`` resolves to (an IP literal is itself); None when it does not."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return None
    found: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


def _is_local_name(host: str) -> bool:
    return host == "localhost" or host.endswith(".localhost")
