"""Render one of the role's templates (roles/zookeeper/templates) with Ansible's own templar,
so that tests run real servers on exactly the files the role writes."""
import os

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

try:  # ansible-core >= 2.19 templates only trusted text
    from ansible.template import trust_as_template
except ImportError:  # pragma: no cover
    def trust_as_template(text):
        return text

TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                         'roles', 'zookeeper', 'templates')


def render(name, **variables):
    variables.setdefault('ansible_managed', 'Ansible managed')
    variables.setdefault('inventory_hostname', 'testhost')
    with open(os.path.join(TEMPLATES, name)) as f:
        return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(f.read()))
