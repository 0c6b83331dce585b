"""Helpers of the CA rollover step of the secure scenario: a new CA and member certificates issued on the
controller (cryptography), client TLS contexts, a prober that keeps asking a member with two clients,
and a role run stopped as soon as a given line appears (an interrupted run)."""
import datetime
import os
import re
import signal
import ssl
import subprocess
import threading
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DAYS = 825
ANSI = re.compile(r'\x1b\[[0-9;]*m')


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _write(path, text):
    with open(path, 'w') as f:
        f.write(text)
    os.chmod(path, 0o600)
    return path


def new_ca(directory, name):
    """A self-signed CA in ``directory`` (ca.crt, ca.key); returns (certificate, key)."""
    os.makedirs(directory, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    _write(os.path.join(directory, 'ca.crt'), cert.public_bytes(serialization.Encoding.PEM).decode())
    _write(os.path.join(directory, 'ca.key'), _pem_key(key))
    return cert, key


def load_ca(directory):
    with open(os.path.join(directory, 'ca.crt'), 'rb') as f:
        cert = x509.load_pem_x509_certificate(f.read())
    with open(os.path.join(directory, 'ca.key'), 'rb') as f:
        key = serialization.load_pem_private_key(f.read(), None)
    return cert, key


def issue(ca, directory, name, like=None, names=()):
    """A new key and a certificate of ``ca`` for ``name`` in ``directory`` (<name>.crt, <name>.key), with the
    subject and extensions of the certificate file ``like`` (a member's, for its names), else a client's, with the
    subject alternative names ``names`` (DNS names and IP addresses) when given."""
    ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().issuer_name(ca_cert.subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
               .not_valid_after(now + datetime.timedelta(days=DAYS))
               # Python 3.13's clients (Debian 13's, the role's checks) verify strictly: key identifiers needed.
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if like:
        with open(like, 'rb') as f:
            old = x509.load_pem_x509_certificate(f.read())
        builder = builder.subject_name(old.subject)
        for ext in old.extensions:
            if not isinstance(ext.value, (x509.AuthorityKeyIdentifier, x509.SubjectKeyIdentifier)):
                builder = builder.add_extension(ext.value, ext.critical)
    else:
        builder = builder.subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        if names:
            import ipaddress
            entries = []
            for n in names:
                try:
                    entries.append(x509.IPAddress(ipaddress.ip_address(n)))
                except ValueError:
                    entries.append(x509.DNSName(n))
            builder = builder.add_extension(x509.SubjectAlternativeName(entries), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    return dict(cert=_write(os.path.join(directory, name + '.crt'), cert.public_bytes(serialization.Encoding.PEM).decode()),
                key=_write(os.path.join(directory, name + '.key'), _pem_key(key)),
                sha256=cert.fingerprint(hashes.SHA256()).hex())


def sha256(path):
    """The SHA-256 fingerprint of the PEM certificate file ``path``, as the role's checks print it."""
    with open(path, 'rb') as f:
        return x509.load_pem_x509_certificate(f.read()).fingerprint(hashes.SHA256()).hex()


def context(cafiles, cert, key):
    """A client context that trusts the CAs in ``cafiles`` and shows ``cert``."""
    ctx = ssl.create_default_context()
    for cafile in cafiles:
        ctx.load_verify_locations(cafile)
    ctx.load_cert_chain(cert, key)
    return ctx


class Prober(threading.Thread):
    """Asks ``address``:2281 with each client of ``clients`` (name -> context) every 0.25 s; ``seen`` is a list
    of (time, {name: serving?})."""

    def __init__(self, status, address, clients):
        threading.Thread.__init__(self, daemon=True)
        self.status, self.address, self.clients = status, address, clients
        self.seen, self.stopped = [], threading.Event()

    def run(self):
        while not self.stopped.is_set():
            now = time.time()
            found = {}
            for name, ctx in self.clients.items():
                mode = self.status(self.address, 2281, 3, ctx)['mode']
                found[name] = mode in ('leader', 'follower', 'observer')
            self.seen.append((now, found))
            self.stopped.wait(0.25)

    def stop(self):
        self.stopped.set()
        self.join(30)
        return self.seen


def run_until(args, banner, log):
    """Run ``args`` (ansible-playbook, one fork: hosts take each task in turn) and kill it, with its workers, as
    soon as the first host reports a change in the task whose banner contains ``banner``: that host has done
    the task, the others have not. Returns the output so far."""
    env = dict(os.environ, ANSIBLE_FORKS='1')
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)
    lines, armed = [], False
    for line in proc.stdout:
        lines.append(line)
        plain = ANSI.sub('', line)
        armed = armed or (plain.startswith('TASK [') and banner in plain)
        if armed and plain.startswith('changed: ['):
            os.killpg(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    with open(log, 'w') as f:
        f.write(''.join(lines))
    return ''.join(lines)


def run_until_task(args, count, log):
    """Run ``args`` like run_until and kill it, with its workers, as soon as the banner of its ``count``-th task
    appears: the tasks before it are done, that one has not started. A run with fewer tasks ends by itself.
    Returns (output, killed)."""
    env = dict(os.environ, ANSIBLE_FORKS='1')
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)
    lines, seen, killed = [], 0, False
    for line in proc.stdout:
        lines.append(line)
        if ANSI.sub('', line).startswith('TASK ['):
            seen += 1
            if seen >= count:
                os.killpg(proc.pid, signal.SIGKILL)
                killed = True
                break
    proc.wait()
    with open(log, 'w') as f:
        f.write(''.join(lines))
    return ''.join(lines), killed


class QuorumWatch(threading.Thread):
    """Asks every voter in ``addresses`` over TLS (``ctx``) every 0.2 s; ``no_quorum`` holds the times when no
    leader and majority of voters served."""

    def __init__(self, status, addresses, ctx):
        threading.Thread.__init__(self, daemon=True)
        self.status, self.addresses, self.ctx = status, addresses, ctx
        self.no_quorum, self.samples, self.stopped = [], 0, threading.Event()

    def run(self):
        while not self.stopped.is_set():
            now = time.time()
            modes = [self.status(a, 2281, 1, self.ctx)['mode'] for a in self.addresses]
            serving = [m for m in modes if m in ('leader', 'follower')]
            if 'leader' not in modes or len(serving) * 2 <= len(self.addresses):
                self.no_quorum.append(now)
            self.samples += 1
            self.stopped.wait(0.2)

    def stop(self):
        self.stopped.set()
        self.join(30)
        return self.no_quorum


def windows(times, gap=0.5):
    """Lengths of the stretches of ``times`` (sorted) whose neighbours are at most ``gap`` seconds apart."""
    found, start, last = [], None, None
    for t in times:
        if last is None or t - last > gap:
            if start is not None:
                found.append(last - start)
            start = t
        last = t
    if start is not None:
        found.append(last - start)
    return found


# A rogue ZooKeeper server started beside a member (in its container, as its service user, with its jars): it asks
# the ensemble to take it in as an observer. Arguments: id, quorum, election and client port, the zoo.cfg keys of
# its TLS or SASL ($5, printf %b), the quorum SASL password or nothing ($6), the host its server line names ($7).
# LIVE: the ensemble's server lines. Its files are under /tmp/rogue-<id>.
ROGUE = r'''
set -e
R=/tmp/rogue-$1; rm -rf $R; mkdir -p $R/data; echo $1 > $R/data/myid
printf '%s\n' "$LIVE" > $R/zoo.cfg.dynamic
echo "server.$1=$7:$2:$3:observer;0.0.0.0:$4" >> $R/zoo.cfg.dynamic
cat > $R/zoo.cfg <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$R/data
standaloneEnabled=false
reconfigEnabled=true
4lw.commands.whitelist=srvr
admin.enableServer=false
CFG
printf '%b\ndynamicConfigFile=%s\n' "$5" "$R/zoo.cfg.dynamic" >> $R/zoo.cfg
JAAS=
if [ -n "$6" ]; then
cat > $R/jaas.conf <<JAASFILE
QuorumServer { org.apache.zookeeper.server.auth.DigestLoginModule required user_zkquorum="$6"; };
QuorumLearner { org.apache.zookeeper.server.auth.DigestLoginModule required username="zkquorum" password="$6"; };
JAASFILE
JAAS=-Djava.security.auth.login.config=$R/jaas.conf
fi
chown -R zookeeper:zookeeper $R
ZK_CLASSPATH=$(sed -n 's/^ZK_CLASSPATH=//p' /etc/zookeeper/conf_zkops/zookeeper.env)
nohup runuser -u zookeeper -- java -Xmx64m -cp "$ZK_CLASSPATH" $JAAS \
  -Dzookeeper.log.dir=$R org.apache.zookeeper.server.quorum.QuorumPeerMain $R/zoo.cfg > $R/out.log 2>&1 &
'''

SASL_KEYS = 'quorum.auth.enableSasl=true\nquorum.auth.learnerRequireSasl=true\nquorum.auth.serverRequireSasl=true\n'


def tls_keys(keystore, truststore):
    """The zoo.cfg keys of a rogue's quorum TLS, with these PEM files (paths in the container)."""
    return ('sslQuorum=true\nssl.quorum.keyStore.location=%s\nssl.quorum.keyStore.type=PEM\n'
            'ssl.quorum.trustStore.location=%s\nssl.quorum.trustStore.type=PEM\n' % (keystore, truststore))


def start_rogue(container, host, work, sid, ports, keys, live, password='', files=None):
    """Start a rogue server (ROGUE) in ``container`` (testinfra ``host``), its server line beside ``live`` (the
    ensemble's); ``files``: {path in the container: local file} copied first, readable by the service user."""
    for path, local in (files or {}).items():
        # docker cp cannot write into the container's /tmp (a tmpfs): through /root, then in place.
        staged = '/root/' + os.path.basename(path)
        subprocess.run(['docker', 'cp', local, '%s:%s' % (container, staged)], check=True)
        host.check_output('install -m 0644 %s %s' % (staged, path))
    script = os.path.join(work, 'rogue.sh')
    with open(script, 'w') as f:
        f.write(ROGUE)
    subprocess.run(['docker', 'cp', script, '%s:/root/rogue.sh' % container], check=True)
    qp, ep, cp = ports
    host.check_output("LIVE='%s' bash /root/rogue.sh %d %d %d %d '%s' '%s' %s"
                      % (live, sid, qp, ep, cp, keys, password.replace("'", "'\\''"), container))
