# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A member's TLS material checked before anything changes (the role's preflight, on the controller).

Refused: a certificate, CA or key that cannot be read, a certificate or CA that expired or is not valid
yet, a key that does not belong to the certificate, a certificate that does not chain to the CA (through
the intermediates that follow it in zookeeper_tls_cert), and a certificate whose subject alternative
names lack the member's address. Warned: a certificate or CA that expires within the warning window.
Uses the cryptography library, which ansible-core itself requires on the controller.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import ipaddress
import re

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - ansible-core depends on it
    HAS_CRYPTOGRAPHY = False

_PEM_CERT = re.compile(r'-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----', re.S)


def _certificates(text):
    return [x509.load_pem_x509_certificate(block.encode('ascii')) for block in _PEM_CERT.findall(text or '')]


def _not_after(cert):
    return getattr(cert, 'not_valid_after_utc', None) or cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def _not_before(cert):
    return getattr(cert, 'not_valid_before_utc', None) or cert.not_valid_before.replace(tzinfo=datetime.timezone.utc)


def describe(cert):
    """'CN=zk1, serial 1f2e...' for messages."""
    return '%s, serial %x' % (cert.subject.rfc4514_string() or 'no subject', cert.serial_number)


def names(cert):
    """The certificate's subject alternative names as strings (DNS names, IP addresses)."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(n) for n in ext.get_values_for_type(x509.DNSName) + ext.get_values_for_type(x509.IPAddress)]


def names_address(cert, address):
    """Whether the certificate's subject alternative names cover ``address`` (an IP or a DNS name;
    a wildcard covers one label, as in RFC 6125)."""
    address = str(address).strip('[]').rstrip('.').lower()
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        ip = None
    for name in names(cert):
        if ip is not None:
            try:
                if ipaddress.ip_address(name) == ip:
                    return True
            except ValueError:
                pass
            continue
        name = name.rstrip('.').lower()
        if name == address:
            return True
        if name.startswith('*.') and '.' in address and address.split('.', 1)[1] == name[2:]:
            return True
    return False


def _issued_by(cert, issuer):
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except AttributeError:  # cryptography before 40: the issuer's name has to do
        return True
    except Exception:  # pylint: disable=broad-except  # InvalidSignature, ValueError, TypeError: not its issuer
        return False


def _chains(leaf, intermediates, cas):
    current, left = leaf, list(intermediates)
    for _depth in range(len(intermediates) + 1):
        if any(_issued_by(current, ca) for ca in cas):
            return True
        step = next((c for c in left if _issued_by(current, c)), None)
        if step is None:
            return False
        left.remove(step)
        current = step
    return False


def _window(cert, what, now, warn_days, errors, warnings):
    after, before = _not_after(cert), _not_before(cert)
    if after <= now:
        errors.append('%s (%s) expired on %s.' % (what, describe(cert), after.strftime('%Y-%m-%d %H:%M UTC')))
    elif before > now:
        errors.append('%s (%s) is not valid before %s.' % (what, describe(cert), before.strftime('%Y-%m-%d %H:%M UTC')))
    elif after - now <= datetime.timedelta(days=warn_days):
        days = (after - now).total_seconds() / 86400.0
        warnings.append('%s (%s) expires on %s, in %.1f days: renew it.'
                        % (what, describe(cert), after.strftime('%Y-%m-%d %H:%M UTC'), days))


def certificate_problems(cert_pem, key_pem, ca_pem, addresses, warn_days=30, now=None):
    """``(errors, warnings)`` for one member's TLS material: PEM texts as the role's variables hold them,
    and the addresses the member's peers reach it by. Messages name the variable, the certificate
    (subject and serial) and the date; secrets are never quoted."""
    errors, warnings = [], []
    if not HAS_CRYPTOGRAPHY:
        return errors, ['The TLS certificates were not checked: the cryptography library is missing.']
    now = now or datetime.datetime.now(datetime.timezone.utc)
    read = {}
    for var, text in (('zookeeper_tls_cert', cert_pem), ('zookeeper_tls_ca', ca_pem)):
        try:
            read[var] = _certificates(text)
        except ValueError as e:
            errors.append('%s cannot be read as PEM certificates: %s.' % (var, e))
    if errors or not read.get('zookeeper_tls_cert') or not read.get('zookeeper_tls_ca'):
        return errors, warnings
    leaf, intermediates = read['zookeeper_tls_cert'][0], read['zookeeper_tls_cert'][1:]
    cas = read['zookeeper_tls_ca']
    _window(leaf, 'zookeeper_tls_cert', now, warn_days, errors, warnings)
    for cert in intermediates:
        _window(cert, 'an intermediate in zookeeper_tls_cert', now, warn_days, errors, warnings)
    for ca in cas:
        _window(ca, 'zookeeper_tls_ca', now, warn_days, errors, warnings)
    try:
        key = serialization.load_pem_private_key((key_pem or '').encode('ascii'), password=None)
    except (ValueError, TypeError) as e:
        errors.append('zookeeper_tls_key cannot be read as an unencrypted private key (%s).' % e.__class__.__name__)
    else:
        spki = serialization.PublicFormat.SubjectPublicKeyInfo
        if (key.public_key().public_bytes(serialization.Encoding.DER, spki)
                != leaf.public_key().public_bytes(serialization.Encoding.DER, spki)):
            errors.append('zookeeper_tls_key is not the key of zookeeper_tls_cert (%s).' % describe(leaf))
    if not _chains(leaf, intermediates, cas):
        errors.append('zookeeper_tls_cert (%s, issued by %s) is not signed by zookeeper_tls_ca (%s), directly or '
                      'through the intermediates that follow it.'
                      % (describe(leaf), leaf.issuer.rfc4514_string(), '; '.join(describe(ca) for ca in cas)))
    for address in addresses:
        if not names_address(leaf, address):
            errors.append('zookeeper_tls_cert (%s) does not name this member\'s address %s in its subject '
                          'alternative names (%s): the other members verify it.'
                          % (describe(leaf), address, ', '.join(names(leaf)) or 'none'))
    return errors, warnings
