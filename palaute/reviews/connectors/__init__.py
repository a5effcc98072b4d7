"""Connectors to review platforms: ``connector_for(source)`` gives the one for its kind.

Each connector reads reviews page by page (``pages(since)``, newest first, stopping at what an
earlier sync already saw) and posts a reply (``post_reply``). They talk only through
``palaute.lib.http`` and raise ``ConnectorError`` for anything that went wrong, with a message
that names the problem and never contains a token.
"""

from __future__ import annotations

from palaute.reviews.connectors.base import Connector, ConnectorError, PostedReply
from palaute.reviews.models import ReviewSource, SourceKind


def connector_for(source: ReviewSource) -> Connector:
    from palaute.reviews.connectors.facebook import FacebookConnector
    from palaute.reviews.connectors.google import GoogleConnector

    if source.kind == SourceKind.GOOGLE:
        return GoogleConnector(source)
    if source.kind == SourceKind.FACEBOOK:
        return FacebookConnector(source)
    raise ConnectorError(f"{source.get_kind_display()} has no connector", retryable=False)


__all__ = ["Connector", "ConnectorError", "PostedReply", "connector_for"]
