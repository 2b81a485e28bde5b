"""Who is asking: the client's address behind our own proxies, and the throttles keyed on it.

DRF's throttles (and every rate limit keyed on an address) would otherwise take the
left-most `X-Forwarded-For` entry, which any client writes itself: one client varying the
header got a fresh bucket per request. Here the header is believed only as far as it was
written by a proxy listed in TRUSTED_PROXIES (default: none, so REMOTE_ADDR is the client).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from rest_framework import throttling

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(
        ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()
    )


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """The address of the client: REMOTE_ADDR, unless that is a trusted proxy; then the
    right-most `X-Forwarded-For` hop that is not a trusted proxy (each proxy appends the
    address it saw, so entries left of the first untrusted one are the client's own words).
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    networks = _trusted_networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _is_trusted(remote, networks):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    nearest = remote
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return nearest  # a trusted proxy wrote garbage: stop at the last hop we can name
        if not _is_trusted(hop, networks):
            return hop
        nearest = hop
    return nearest


class _ClientIpIdent:
    def get_ident(self, request) -> str:
        return client_ip(request)


class AnonRateThrottle(_ClientIpIdent, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_ClientIpIdent, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(_ClientIpIdent, throttling.ScopedRateThrottle):
    pass
