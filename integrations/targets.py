"""Where a webhook may be delivered: public addresses only, unless the operator allows private ones.

A subscription URL is chosen by an operator (or by whoever holds the API token) and POSTed to by
the processor from inside the shop's network, so without a check it could reach the database's
admin port, a router's page or a cloud metadata address (169.254.169.254). With
`WEBHOOK_ALLOW_PRIVATE_URLS` false (the default in production) a subscription naming a private,
loopback, link-local or reserved IP address or `localhost` is refused when it is created, and
each delivery resolves the host itself, refuses it when any of its addresses is not public, and
connects to the address it checked (the URL's host still goes in `Host` and in TLS's SNI and
certificate check), so a DNS answer that changes between the check and the connection
(rebinding) cannot move the request inside.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

LOCAL_NAMES = ("localhost", "localhost.localdomain")


class PrivateTarget(ValueError):
    """The URL's host is, or resolves to, an address that is not public."""


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0") is not part of it
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether `address` is globally reachable (not private, loopback, link-local, shared or reserved)."""
    return address.is_global and not address.is_multicast


def host_problem(host: str) -> str | None:
    """Why `host` (as written in a URL) is not a public destination, judged without DNS; None when it may be."""
    name = host.strip("[]").rstrip(".").lower()
    if name in LOCAL_NAMES or name.endswith(".localhost"):
        return f"{host} is this machine"
    address = _address(name)
    if address is not None and not is_public(address):
        return f"{host} is a private, loopback, link-local or reserved address"
    return None


@dataclass(frozen=True)
class Target:
    """How to reach a URL: the URL to connect to, and what the request must still say about the host."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, str] = field(default_factory=dict)


def resolve(url: str, allow_private: bool) -> Target:
    """The checked target for `url`: unchanged when private addresses are allowed, else pinned to a
    public address of its host. Raises PrivateTarget (or OSError when the name does not resolve)."""
    if allow_private:
        return Target(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    problem = host_problem(host)
    if problem:
        raise PrivateTarget(problem)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [_address(str(info[4][0])) for info in infos]
    refused = next((str(address) for address in addresses if address is None or not is_public(address)), None)
    if refused is not None or not addresses:
        raise PrivateTarget(f"{host} resolves to {refused or 'nothing'}, which is not a public address")
    chosen = addresses[0]
    literal = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    host_header = parts.netloc.rsplit("@", 1)[-1]
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return Target(urlunsplit(parts._replace(netloc=netloc)), {"Host": host_header}, extensions)
