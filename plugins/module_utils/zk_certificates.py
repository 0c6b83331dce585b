# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A member's TLS material checked before anything changes (the role's preflight, on the controller).

Refused: a certificate, CA or key that cannot be read, a certificate or CA that expired or is not valid
yet, a key that does not belong to the certificate, a certificate that does not chain to the CA (through
the intermediates that follow it in zookeeper_tls_cert), and a certificate whose subject alternative
names lack the member's address. Warned: a certificate or CA that expires within the warning window.
Uses the cryptography library, which ansible-core itself requires on the controller.

Also here: which running servers pick up a renewed key or trust store without a restart
(``reloads_certificates``), measured on the real jars by tests/integration/test_tls_reload.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import datetime
import hashlib
import ipaddress
import re


def _crypto():
    """cryptography's ``x509``, ``hashes`` and ``serialization``, imported when a certificate is first parsed, not
    when this file is: the modules (zk_host_info, zk_server_info) and every filter call that never parses one would
    otherwise pay for the import in each Ansible worker and on each host. None when the library is missing."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
    except ImportError:  # pragma: no cover - ansible-core depends on it
        return None
    return dict(x509=x509, hashes=hashes, serialization=serialization)


_PEM_CERT = re.compile(r'-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----')


def certificate_blocks(text):
    """The PEM certificate blocks of ``text``, in order; any private key in it is left out."""
    return _PEM_CERT.findall(text or '')


# client.certReload came with ZOOKEEPER-3806 in 3.7.2, 3.8.1 and 3.9.0; sslQuorumReloadCertFiles in 3.5.5.
_CLIENT_RELOAD_SINCE = {(3, 7): 2, (3, 8): 1}
_CLIENT_RELOAD_ALL_FROM = (3, 9)
_QUORUM_RELOAD_SINCE = (3, 5, 5)


def version_tuple(version):
    match = re.match(r'^(\d+)\.(\d+)\.(\d+)', str(version or ''))
    return tuple(int(part) for part in match.groups()) if match else None


def client_reload_supported(version):
    """Whether ZooKeeper ``version`` ('3.8.0', '3.9.3-...') reloads the client port's key and trust stores
    (client.certReload=true). Unknown versions: False."""
    parts = version_tuple(version)
    if parts is None:
        return False
    if parts[:2] >= _CLIENT_RELOAD_ALL_FROM:
        return True
    since = _CLIENT_RELOAD_SINCE.get(parts[:2])
    return since is not None and parts[2] >= since


def reloads_certificates(version, props):
    """Whether a server of ``version`` running the zoo.cfg ``props`` (a dict of its keys) uses a renewed
    key or trust store on new connections without a restart: every TLS use in the configuration
    (the client port, the quorum) has its reload key set and the version honours it. A configuration
    without TLS reloads trivially (True); an unknown version never does (False)."""
    parts = version_tuple(version)
    if parts is None:
        return False
    flag = dict((k, str(v).strip().lower() == 'true') for k, v in props.items())
    if props.get('secureClientPort') and not (flag.get('client.certReload') and client_reload_supported(version)):
        return False
    quorum_tls = flag.get('sslQuorum') or flag.get('portUnification')
    if quorum_tls and not (flag.get('sslQuorumReloadCertFiles') and parts >= _QUORUM_RELOAD_SINCE):
        return False
    return True


def fingerprint(cert_pem):
    """SHA-256 of the first certificate in ``cert_pem`` (DER), lowercase hex, as zk_status reports the
    certificate a server presents; None when there is none."""
    found = _certificates(cert_pem)
    return found[0].fingerprint(_crypto()['hashes'].SHA256()).hex() if found else None


def _certificates(text):
    blocks = certificate_blocks(text)
    if not blocks:
        return []
    x509 = _crypto()['x509']
    return [x509.load_pem_x509_certificate(block.encode('ascii')) for block in blocks]


def _not_after(cert):
    return getattr(cert, 'not_valid_after_utc', None) or cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def _not_before(cert):
    return getattr(cert, 'not_valid_before_utc', None) or cert.not_valid_before.replace(tzinfo=datetime.timezone.utc)


def describe(cert):
    """'CN=zk1, serial 1f2e...' for messages."""
    return '%s, serial %x' % (cert.subject.rfc4514_string() or 'no subject', cert.serial_number)


def names(cert):
    """The certificate's subject alternative names as strings (DNS names, IP addresses)."""
    x509 = _crypto()['x509']
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


def reverse_dns_switch(version):
    """Whether ZooKeeper ``version`` honours ssl.quorum.allowReverseDnsLookup (3.8.6 and later on 3.8, 3.9.5 and
    later): with it off, a quorum peer's certificate must name the IP it connects from. Unknown versions: False."""
    parts = version_tuple(version)
    return parts is not None and ((3, 8, 6) <= parts < (3, 9, 0) or parts >= (3, 9, 5))


def certificate_problems(cert_pem, key_pem, ca_pem, addresses, warn_days=30, now=None, source_ips=(),
                         source_ip_required=False):
    """``(errors, warnings)`` for one member's TLS material: PEM texts as the role's variables hold them,
    and the addresses the member's peers reach it by. ``source_ips``: the IPs the member connects to its peers
    from (quorum TLS checked by name): a certificate without an IP entry for one is refused when
    ``source_ip_required`` (the release has no reverse-DNS fallback: reverse_dns_switch), else warned about.
    Messages name the variable, the certificate (subject and serial) and the date; secrets are never quoted."""
    errors, warnings = [], []
    if not any((cert_pem, key_pem, ca_pem)):
        return errors, warnings
    crypto = _crypto()
    if crypto is None:
        return errors, ['The TLS certificates were not checked: the cryptography library is missing.']
    serialization = crypto['serialization']
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
    for ip in source_ips or ():
        if not names_address(leaf, ip):
            (errors if source_ip_required else warnings).append(
                'zookeeper_tls_cert (%s) has no IP entry for %s, the address this member connects to its quorum peers '
                'from (%s): with zookeeper_tls_hostname_verification, ZooKeeper 3.8.6, 3.9.5 and later refuse it, '
                'older releases accept it only when its PTR record gives a name the certificate holds.'
                % (describe(leaf), ip, ', '.join(names(leaf)) or 'no names'))
    for address in addresses:
        if not names_address(leaf, address):
            errors.append('zookeeper_tls_cert (%s) does not name this member\'s address %s in its subject '
                          'alternative names (%s): the other members verify it.'
                          % (describe(leaf), address, ', '.join(names(leaf)) or 'none'))
    return errors, warnings


def _der_sha256(block):
    """SHA-256 of a PEM certificate block's DER, without parsing it (so a rollover plan needs no library)."""
    body = ''.join(line.strip() for line in block.strip().splitlines()[1:-1])
    return hashlib.sha256(base64.b64decode(body)).hexdigest()


block_sha256 = _der_sha256


def _blocks(text):
    return certificate_blocks(text) if isinstance(text, str) else list(text or [])


def _block_issued_by(block, ca_block):
    """Whether the PEM certificate ``block`` is ``ca_block`` itself or was signed by it (cryptography)."""
    if _der_sha256(block) == _der_sha256(ca_block):
        return True
    try:
        cert, ca = _certificates(block), _certificates(ca_block)
    except ValueError:
        return False
    return bool(cert and ca) and _issued_by(cert[0], ca[0])


def _union(*lists):
    out, seen = [], set()
    for block in [b for blocks in lists for b in blocks]:
        fp = _der_sha256(block)
        if fp not in seen:
            seen.add(fp)
            out.append(block)
    return out


def rollover_steps(members, issued_by=None):
    """The stages that move running members from the TLS material they run with to the one the role is about to
    write, so that every member always trusts what every other presents (a CA rolled in without losing the
    quorum, or clients that trust either CA, until the end):

      1. trust both: every member trusts the CAs it has and the new ones; it presents what it has;
      2. present the new: every member presents its new certificate; it still trusts both;
      then the role's ordinary write: the trust store holds the new CAs only.

    ``members``: one dict per host with ``host``, ``deployed_trust`` and ``deployed_cert`` (the PEM
    certificate blocks of its trust store and key store as they are on the host; empty for a host without
    TLS files yet, which takes no part), ``trust`` and ``cert`` (the PEM texts it is to have), and, for the
    running servers that do not reload their TLS files (3.8.0's client port): ``presented``, the PEM
    certificates they present now (zk_server_info's presented_certificate), and ``owed``, whether one owes a
    restart (the role's marker: its files are ahead of what it runs with).

    A stage is done only when every member runs it, not when its files are written: a server that cannot
    reload is in the stage it presents. So a member whose server presents anything but its new certificate
    still needs stage 2, and a member that owes a restart has stage 1 paid first (its running trust may lag its
    files). A certificate a server presents that no CA in play issued (a CA the role no longer has: files
    written past what the servers run by an earlier release) is trusted by itself through both stages, so
    that every member and the role's checks keep reaching it until it restarts; the final write drops it.
    A stage is planned only when it is needed: a renewal from the same CA has no stage (the ordinary write is
    the whole change), adding a CA without new certificates neither. Returns a list of
    ``{'stage': 1|2, 'why': str, 'trust': {host: pem}, 'new_cert': [hosts]}``; the trust stores are the PEM
    blocks, the deployed CAs first, each once. ``issued_by(block, ca_block)``: for tests; cryptography by
    default."""
    issued_by = issued_by or _block_issued_by
    deployed = [m for m in members if _blocks(m.get('deployed_trust'))]
    if not deployed:
        return []
    union, grows, shrinks, new_cert, behind, owed = {}, False, False, [], False, False
    for m in deployed:
        have, want = _blocks(m['deployed_trust']), _blocks(m['trust'])
        have_fp = set(_der_sha256(b) for b in have)
        want_fp = set(_der_sha256(b) for b in want)
        union[m['host']] = _union(have, want)
        grows = grows or not want_fp <= have_fp
        shrinks = shrinks or not have_fp <= want_fp
        cert_have, cert_want = _blocks(m.get('deployed_cert')), _blocks(m['cert'])
        if not cert_want:
            continue
        wanted = _der_sha256(cert_want[0])
        presented = [_der_sha256(b) for b in _blocks(m.get('presented'))]
        if not cert_have or _der_sha256(cert_have[0]) != wanted:
            new_cert.append(m['host'])
        elif any(fp != wanted for fp in presented):
            new_cert.append(m['host'])
            behind = True
        owed = owed or bool(m.get('owed'))
    if not new_cert:
        return []
    # What running servers present that no CA in play issued: trusted as itself until they restart.
    in_play = _union(*union.values())
    pinned = _union(*[[b for b in _blocks(m.get('presented'))
                       if not any(issued_by(b, ca) for ca in in_play)] for m in deployed])
    trust = dict((host, '\n'.join(_union(blocks, pinned)) + '\n') for host, blocks in union.items())
    steps = []
    if grows or owed:
        steps.append(dict(stage=1, why='every member trusts the new CA as well as the old', trust=trust, new_cert=[]))
    if shrinks or behind:
        steps.append(dict(stage=2, why='every member presents its new certificate, trusting both CAs', trust=trust,
                          new_cert=new_cert))
    return steps
