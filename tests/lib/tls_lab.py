"""A throw-away CA with a server and a client certificate for loopback TLS tests (cryptography).

Keys are PKCS#8 PEM, as ZooKeeper's PEM key store reads them; the server
certificate names 127.0.0.1 and localhost.
"""
import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _cert(subject, key, issuer, issuer_key, ca=False, sans=None):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=2))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                               ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        builder = builder.add_extension(x509.SubjectAlternativeName(sans or []), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def make_lab(directory, ca_name='zkops test CA'):
    """Write ca.pem, server.pem (key + cert), client.crt and client.key into ``directory``; return their paths."""
    os.makedirs(directory, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert(ca_name, ca_key, ca_name, ca_key, ca=True)
    out = dict(ca=os.path.join(directory, 'ca.pem'), server=os.path.join(directory, 'server.pem'),
               client_cert=os.path.join(directory, 'client.crt'), client_key=os.path.join(directory, 'client.key'))
    server_key, client_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    sans = [x509.IPAddress(ipaddress.ip_address('127.0.0.1')), x509.DNSName('localhost')]
    server = _cert('localhost', server_key, ca_name, ca_key, sans=sans)
    client = _cert('zkops-client', client_key, ca_name, ca_key, sans=[x509.DNSName('zkops-client')])
    pem = serialization.Encoding.PEM
    files = {out['ca']: ca.public_bytes(pem), out['server']: _key_pem(server_key) + server.public_bytes(pem),
             out['client_cert']: client.public_bytes(pem), out['client_key']: _key_pem(client_key)}
    for path, data in files.items():
        with open(path, 'wb') as f:
            f.write(data)
    return out


def certificate(subject, key, issuer, issuer_key, not_before, not_after, ca=False, names=()):
    """A certificate for ``subject`` signed by ``issuer_key``, valid between the given UTC datetimes, with
    subject alternative names (IP addresses or DNS names) when ``names`` are given."""
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if names:
        entries = []
        for name in names:
            try:
                entries.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                entries.append(x509.DNSName(name))
        builder = builder.add_extension(x509.SubjectAlternativeName(entries), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())
