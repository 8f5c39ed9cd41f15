"""The client's address, the one every lockout and rate limit counts (issue 16, item 3).

Served directly (`BEHIND_PROXY` off), the client is the connection's peer, `REMOTE_ADDR`; whatever a client
writes in X-Forwarded-For, X-Real-IP or Forwarded is ignored, so it cannot pick the address it is counted as.

Behind a TLS-terminating proxy (`BEHIND_PROXY=1`), the peer is the proxy: the client is then taken from
X-Forwarded-For as the proxies wrote it (nginx: `proxy_set_header X-Forwarded-For
$proxy_add_x_forwarded_for`). The hops are read from the right: X-Forwarded-For followed by the peer itself,
and the address just left of the `TRUSTED_PROXY_COUNT` trusted proxies is the client, i.e. the right-most
address no trusted proxy vouches for. What a client put at the left of the header is never chosen. With
`TRUSTED_PROXIES` (an address or network per proxy, outermost first), those hops must also match it;
otherwise (someone reached the application around the proxy) the peer's own address counts.

python-ipware does the parsing (IPv6, ports, brackets) and picks the position; django-axes uses this
function too (`AXES_CLIENT_IP_CALLABLE`), so sign-in lockouts count the same address.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.http import HttpRequest
from python_ipware import IpWare

HOPS = "ESTATEDESK_PROXY_HOPS"  # the key under which the proxies' header and the peer are handed to IpWare


@cache
def _ipware(proxy_count: int, proxies: tuple[str, ...]) -> IpWare:
    if proxies:
        return IpWare(precedence=(HOPS,), proxy_list=list(proxies))
    return IpWare(precedence=(HOPS,), proxy_count=proxy_count)


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent `request` ("" when the server did not give one)."""
    peer = str(request.META.get("REMOTE_ADDR") or "").strip()
    if not getattr(settings, "BEHIND_PROXY", False):
        return peer
    # X-Forwarded-For holds no quotes; one left open by a client would hide the hops right of it
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "").replace('"', "").strip()
    if not forwarded or not peer:
        return peer
    engine = _ipware(
        int(getattr(settings, "TRUSTED_PROXY_COUNT", 1)), tuple(getattr(settings, "TRUSTED_PROXIES", ()))
    )
    address, _trusted = engine.get_client_ip({HOPS: f"{forwarded}, {peer}"})
    return str(address) if address is not None else peer
