"""Offline stand-in for the pip bootstrap script that ansible-test downloads.

ansible-test runs this file (cached as ~/.ansible/test/cache/get_pip_<ver>.py)
inside a fresh virtual environment, with pip's own configuration hidden.  The
real script comes from a host this machine cannot reach, so instead we:
  1. install pip into the venv with ensurepip (it ships with Python),
  2. append the system CA bundle to that pip's vendored certifi bundle, so it
     trusts the same certificates as the rest of the machine,
  3. pip-install the packages ansible-test asked for, dropping the
     --no-setuptools/--no-wheel flags that only get-pip understands.
"""
import os
import subprocess
import sys

SYSTEM_CA = '/etc/ssl/certs/ca-certificates.crt'


def main():
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'])
    cacert = subprocess.check_output(
        [sys.executable, '-c', 'from pip._vendor import certifi; print(certifi.where())'], text=True).strip()
    if os.path.exists(SYSTEM_CA):
        with open(SYSTEM_CA, 'rb') as src, open(cacert, 'ab') as dst:
            dst.write(b'\n' + src.read())
    args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
    subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + args)


if __name__ == '__main__':
    main()
