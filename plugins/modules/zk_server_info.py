#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: zk_server_info
short_description: Read what ZooKeeper servers on this host hold on disk and how they run
version_added: 0.2.0
description:
  - For each ZooKeeper instance of the host, reads its C(zoo.cfg) and dynamic configuration file, its C(myid), the
    transaction logs and snapshots in its C(dataDir), and asks the running server for its mode with C(srvr).
  - The zkops.zookeeper.zookeeper role uses it to discover, from the servers themselves, whether an ensemble already
    runs and who is in it, before it changes anything.
  - Read-only, and needs only Python's standard library.
author:
  - zkops.zookeeper contributors (@zkops)
attributes:
  check_mode:
    support: full
    description: The module only reads, so it runs normally in check mode.
  diff_mode:
    support: none
    description: Nothing changes.
  idempotent:
    support: full
    description: Reading changes nothing.
options:
  instances:
    description: The instances to read.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: A name for the instance, returned as it is.
        type: str
        required: true
      config:
        description: Path of its C(zoo.cfg).
        type: path
        required: true
      data_dir:
        description: Its C(dataDir).
        type: path
        required: true
      client:
        description: C(host:port) where it answers C(srvr).
        type: str
        required: true
      data_log_dir:
        description: Its C(dataLogDir), when the transaction logs are kept apart; read with O(scan_logs).
        type: path
      secure_client:
        description:
          - C(host:port) of its TLS client port (C(secureClientPort)), read with O(use_tls) and the TLS options.
          - Then RV(instances[].tls_mode) is what it answers there, and RV(instances[].mode) comes from there when
            O(instances[].client) does not serve (a server without a plaintext client port).
        type: str
  use_tls:
    description:
      - Read C(srvr) over TLS on O(instances[].secure_client) too.
      - TLS files that cannot be used are reported in RV(instances[].tls_problem), not as a failure.
    type: bool
    default: false
  ca:
    description: CA certificate bundle (PEM) that signs the servers' certificates.
    type: path
  cert:
    description: Client certificate (PEM), for servers that require one.
    type: path
  key:
    description: Private key (PEM) of O(cert); may be the same file when it holds both.
    type: path
  scan_logs:
    description:
      - Also read the newest complete snapshot and the transaction logs after it, entry by entry, for the zxid the
        files replay to (RV(instances[].logged_zxid)). This reads the data files and costs time with large logs; the
        zkops.zookeeper.recover playbook uses it to find the member whose data is newest.
    type: bool
    default: false
  timeout:
    description: Seconds to wait for each C(srvr) answer.
    type: float
    default: 2
'''

EXAMPLES = r'''
- name: What runs here, and with which membership
  zkops.zookeeper.zk_server_info:
    instances:
      - name: zk1
        config: /etc/zookeeper/conf_zkops/zoo.cfg
        data_dir: /var/lib/zookeeper
        client: 127.0.0.1:2181
  register: zk_here
'''

RETURN = r'''
instances:
  description: One entry per instance, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The name given.
      type: str
    form:
      description:
        - V(none) (no zoo.cfg), V(standalone) (no server lines), V(static) (C(server.N) lines in zoo.cfg)
          or V(dynamic) (a C(dynamicConfigFile)).
      type: str
    servers:
      description: The servers of its configuration on disk, by id (id, address, quorum_port, election_port, role, client_address, client_port).
      type: dict
    version:
      description: Version of the dynamic configuration on disk (hexadecimal), or null.
      type: str
    dynamic_file:
      description: The dynamic configuration file C(zoo.cfg) points to, or null.
      type: str
    static_digest:
      description:
        - SHA-256 of the keys and values of C(zoo.cfg), sorted, without the keys ZooKeeper rewrites itself.
          Lets the role compare its configuration without the values (which may be secrets) leaving the host.
      type: str
    quorum_stages:
      description:
        - Where C(zoo.cfg) stands in the rolling switch to quorum TLS and quorum SASL, each 0-3
          (see module_utils/zk_quorum_security.py); both 0 without C(zoo.cfg).
      type: dict
      contains:
        tls:
          description: 0 plaintext, 1 portUnification, 2 sslQuorum with portUnification, 3 sslQuorum only.
          type: int
        sasl:
          description: 0 off, 1 enableSasl, 2 and learnerRequireSasl, 3 and serverRequireSasl.
          type: int
    myid:
      description: Content of C(myid), or null.
      type: str
    data_zxid:
      description: Highest zxid named by a transaction log or snapshot file in the dataDir (0 when none).
      type: int
    has_data:
      description: True when the dataDir holds any transaction (RV(instances[].data_zxid) > 0).
      type: bool
    logged_zxid:
      description:
        - With O(scan_logs), the zxid the data files replay to (hexadecimal), the last whole transaction logged;
          null without complete data.
      type: str
    data_problems:
      description: With O(scan_logs), what is wrong with the files that would be replayed (a damaged or missing log).
      type: list
      elements: str
    mode:
      description: What C(srvr) reports (leader, follower, observer, standalone, not-serving, unreachable).
      type: str
    zxid:
      description: Last zxid the running server processed, or null.
      type: str
    node_count:
      description: Znodes of the running server's tree, as C(srvr) counts them, or null.
      type: int
    tls_mode:
      description: What C(srvr) reports on O(instances[].secure_client) over TLS, or null when it was not read.
      type: str
    server_version:
      description: The version the running server reports with C(srvr) (for example V(3.9.3)), or null when it does not serve.
      type: str
      version_added: 0.2.0
    reloads_certificates:
      description:
        - Whether the running server uses a renewed TLS key store or trust store on new connections without a restart,
          that is, its version honours the reload key of every TLS use in C(zoo.cfg) (C(client.certReload) for the client port,
          3.7.2, 3.8.1 and 3.9.0 or later; C(sslQuorumReloadCertFiles) for the quorum, 3.5.5 or later) and the key is set.
        - V(false) when the server does not serve (its version is unknown).
      type: bool
      version_added: 0.2.0
    presented_certificate:
      description:
        - The certificate the running server presents on O(instances[].secure_client), or null when that port was not
          read or did not complete a TLS handshake. It is read even when O(ca) does not verify it (a CA rollover the
          server has not caught up with); then RV(instances[].tls_mode) is not a serving mode.
      type: dict
      version_added: 0.2.0
      contains:
        sha256:
          description: SHA-256 fingerprint of the certificate (DER), lowercase hex.
          type: str
        pem:
          description: The certificate, PEM.
          type: str
    certificate_stale:
      description:
        - True when the server presents a certificate other than the first of the key store its C(zoo.cfg) names
          (C(ssl.keyStore.location)), that is, it has not loaded its key store since the file changed (ZooKeeper 3.8.0's
          client port never does).
      type: bool
      version_added: 0.2.0
    tls_problem:
      description:
        - Why the TLS files given cannot be used (for example, they do not exist yet), or null. The TLS port is then
          not read; the module does not fail, because it only reports.
      type: str
    restart_owed:
      description:
        - True when the role's marker C(zkops-restart-owed) lies beside C(zoo.cfg), that is, a change the running
          JVM has not loaded yet (written by an earlier run whose restart did not happen).
      type: bool
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.zkops.zookeeper.plugins.module_utils.zk_server_state import read_servers, server_argument_spec


def main():
    module = AnsibleModule(argument_spec=server_argument_spec(), supports_check_mode=True)
    try:
        results = read_servers(module.params)
    except ValueError as e:
        module.fail_json(msg=str(e))
    module.exit_json(changed=False, instances=results)


if __name__ == '__main__':
    main()
