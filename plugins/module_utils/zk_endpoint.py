# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where an address meets a port: the one place that writes and reads ``host:port``.

An IPv6 literal is written in brackets (``[fd00::2]:2181``), as ZooKeeper's connection strings and
server lines take it; a host name or an IPv4 address is written as it is. Everything the collection
composes (the role's hosts strings, server lines, the status table, the backup manifest) goes through
``endpoint``; everything it reads goes through ``split_endpoint``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress


def is_ipv6(address):
    """True for an IPv6 literal (without brackets), in any of its forms."""
    try:
        return ipaddress.ip_address(str(address)).version == 6
    except ValueError:
        return False


def canonical(address):
    """One spelling per address: an IP literal in its compressed, lower-case form; a host name as it is.

    ``FD00:5A4B:0::2`` and ``fd00:5a4b::2`` are one member; comparing canonical forms says so.
    """
    text = str(address).strip()
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        return text


def bracket(address):
    """The address as it stands before ``:port``: an IPv6 literal in brackets."""
    address = str(address)
    return '[%s]' % address if ':' in address and not address.startswith('[') else address


def endpoint(address, port):
    """``host:port``; an IPv6 literal in brackets."""
    return '%s:%d' % (bracket(address), int(port))


def split_endpoint(text, default_port=None):
    """(host, port) from ``host:port``, ``[ipv6]:port``, or the host alone with ``default_port``.

    The port is an int, or None when it is absent and there is no default. A bare IPv6 literal is
    refused: with its colons it cannot be told from an address and a port. Raises ValueError naming
    the text.
    """
    text = str(text).strip()
    if text.startswith('['):
        host, close, rest = text[1:].partition(']')
        if not close or (rest and not rest.startswith(':')):
            raise ValueError("'%s' is not [IPv6]:port" % text)
        if not is_ipv6(host):
            raise ValueError("'%s' has '%s' in brackets, which is not an IPv6 address" % (text, host))
        port = rest[1:] if rest else ''
        if rest and port == '':
            raise ValueError("'%s' has an empty port" % text)
    elif text.count(':') == 1:
        host, port = text.split(':')
        if port == '':
            raise ValueError("'%s' has an empty port; write host:port, or the host alone" % text)
    elif ':' in text:
        raise ValueError("'%s' looks like an IPv6 address: write it in brackets, as [%s]:2181" % (text, text))
    else:
        host, port = text, ''
    if not host:
        raise ValueError("'%s' has no host name" % text)
    if port == '':
        return host, default_port
    try:
        number = int(port)
    except ValueError:
        raise ValueError("'%s' has a port that is not a number" % text)
    if not 0 < number < 65536 or not port.isdigit():
        raise ValueError("'%s' has a port out of range 1-65535" % text)
    return host, number


def address_problem(address):
    """Why ``address`` cannot be a member's address (zookeeper_address), or None.

    Host names, IPv4 and IPv6 literals (written without brackets) are accepted. A zone index
    (``fe80::1%eth0``) names an interface of one host only, so another member cannot reach it.
    """
    text = str(address)
    if not text or text != text.strip():
        return 'an address without spaces (a host name, an IPv4 or an IPv6 address)'
    if '%' in text:
        return 'an address without a zone index ("%..." names an interface of one host only; use a global address)'
    if text.startswith('['):
        return 'an IPv6 address without brackets (the role adds them where a port follows)'
    if ':' in text and not is_ipv6(text):
        return 'a host name, an IPv4 address or an IPv6 address (this has colons but is not an IPv6 address)'
    return None
