# -*- coding: utf-8 -*-
# Copyright (c) zkops.zookeeper contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""zkops-metrics: one ZooKeeper member's metrics for Prometheus (the zkops.zookeeper role installs it).

Usage: zkops_metrics_exporter.py <config.json>.
It exits when that file changes; systemd starts it again. The JSON file (written by the role, readable by the service user
only) names the member's client address and port, its TLS files, and the address and port to serve on. Everything
else is in zk_metrics.py, installed beside this file with zk_fourletter.py (the code the role's modules use).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import zk_metrics  # noqa: E402 pylint: disable=import-error,wrong-import-position


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.stderr.write('usage: %s <config.json>\n' % sys.argv[0])
        sys.exit(2)
    zk_metrics.serve(sys.argv[1])
