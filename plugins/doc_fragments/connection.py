# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # Connection options shared by every module of zkops.zookeeper.
    DOCUMENTATION = r'''
options:
  hosts:
    description:
      - ZooKeeper connection string, a comma-separated list of C(host:port) entries, for example C(zk1:2181,zk2:2181).
      - A missing port means C(2181). IPv6 addresses are written in brackets, C([::1]:2181).
      - A chroot suffix such as C(/app) is honoured by modules that use a session.
    type: str
    required: true
  timeout:
    description:
      - Seconds to wait for a connection (or, for a four-letter word, an answer) before failing.
    type: float
    default: 10
  auth:
    description:
      - Credentials added to the session, for example digest credentials C(user:password).
      - Needed to read or change znodes whose ACL does not grant C(world:anyone) the permission.
    type: list
    elements: dict
    suboptions:
      scheme:
        description: Authentication scheme.
        type: str
        default: digest
      credential:
        description: The credential, for the digest scheme C(user:password).
        type: str
        required: true
  use_tls:
    description:
      - Connect with TLS, to a server's C(secureClientPort).
    type: bool
    default: false
  ca:
    description:
      - CA certificate bundle (PEM) that signs the servers' certificates. Used when O(use_tls=true).
    type: path
  cert:
    description:
      - Client certificate (PEM) for mutual TLS. Used when O(use_tls=true).
    type: path
  key:
    description:
      - Private key (PEM) of O(cert). Used when O(use_tls=true).
    type: path
  verify_certs:
    description:
      - Verify the server certificate against O(ca). Turn off only for tests.
    type: bool
    default: true
  sasl:
    description:
      - Log the session in with SASL, for servers with an C(authProvider) of C(SASLAuthenticationProvider)
        (the role's C(zookeeper_client_sasl_users)). The session's identity is then C(sasl:<username>) in ACLs.
      - Needs the C(pure-sasl) Python library. Used by modules that open a session (M(zkops.zookeeper.zk_znode),
        M(zkops.zookeeper.zk_reconfig)); four-letter words (M(zkops.zookeeper.zk_status)) carry no login.
    type: dict
    suboptions:
      mechanism:
        description: The SASL mechanism; C(DIGEST-MD5) only (Kerberos is not offered).
        type: str
        choices: [DIGEST-MD5]
        default: DIGEST-MD5
      username:
        description: User name.
        type: str
        required: true
      password:
        description: Password.
        type: str
        required: true
'''
