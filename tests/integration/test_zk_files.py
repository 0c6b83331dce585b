"""zk_files on real directories: generated sets of files and directories in random states (missing, other
content, other owner, group or mode). Check mode predicts the real run and writes nothing; the run leaves
exactly what was asked; a rerun changes nothing. A secret is never shown, not even with --diff -v."""
import grp
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile

from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st

from module_process import ROOT, run_module_process

OWNERS = ['root', 'nobody']
GROUPS = ['root', 'nogroup']
MODES = ['0644', '0640', '0600']
TEXT = st.text(alphabet=st.characters(blacklist_categories=('Cs',), blacklist_characters='\x00'), max_size=40)


def _snapshot(root):
    """Every path under root with its content, owner, group and mode."""
    seen = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st_ = os.lstat(path)
            content = open(path, 'rb').read() if stat.S_ISREG(st_.st_mode) else None
            seen[path] = (content, st_.st_uid, st_.st_gid, stat.S_IMODE(st_.st_mode))
    return seen


FILE = st.fixed_dictionaries({
    'content': TEXT, 'owner': st.sampled_from(OWNERS), 'group': st.sampled_from(GROUPS),
    'mode': st.sampled_from(MODES), 'secret': st.booleans(),
    # the state before the run: missing, or present with other (or the same) content and attributes
    'before': st.one_of(st.none(), st.tuples(TEXT, st.sampled_from(OWNERS), st.sampled_from(GROUPS),
                                             st.sampled_from(MODES))),
})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=st.lists(FILE, min_size=1, max_size=4), dir_exists=st.booleans(), dir_mode=st.sampled_from(['0750', '0755']))
def test_check_mode_predicts_the_run_which_leaves_what_was_asked_and_a_rerun_changes_nothing(files, dir_exists, dir_mode):
    root = tempfile.mkdtemp(prefix='zkops-files-')
    try:
        conf = os.path.join(root, 'conf', 'inst')
        if dir_exists:
            os.makedirs(conf)
        specs = []
        for index, f in enumerate(files):
            path = os.path.join(conf, 'f%d' % index)
            if f['before'] is not None and dir_exists:
                text, owner, group, mode = f['before']
                with open(path, 'w', encoding='utf-8') as handle:
                    handle.write(text)
                shutil.chown(path, owner, group)
                os.chmod(path, int(mode, 8))
            # Ansible masks a no_log value wherever it appears in the output: a secret is never a short string.
            f['wanted'] = ('zk-secret:' + f['content']) if f['secret'] else f['content']
            spec = dict(path=path, owner=f['owner'], group=f['group'], mode=f['mode'], label='instance-%d' % index)
            spec['secret_content' if f['secret'] else 'content'] = f['wanted']
            specs.append(spec)
        args = dict(directories=[conf], directory_owner='nobody', directory_group='nogroup', directory_mode=dir_mode,
                    files=specs)
        before = _snapshot(root)
        predicted = run_module_process('zk_files', args, check=True, diff=True)
        assert not predicted.get('failed'), predicted
        assert _snapshot(root) == before, 'check mode wrote something'
        done = run_module_process('zk_files', args, diff=True)
        assert not done.get('failed'), done
        assert [f['changed'] for f in done['files']] == [f['changed'] for f in predicted['files']]
        assert [d['changed'] for d in done['directories']] == [d['changed'] for d in predicted['directories']]
        assert done['changed'] == predicted['changed'] == (_snapshot(root) != before)
        for spec, f, result in zip(specs, files, done['files']):
            st_ = os.stat(spec['path'])
            assert open(spec['path'], 'rb').read() == f['wanted'].encode('utf-8')
            assert (st_.st_uid, st_.st_gid) == (pwd.getpwnam(f['owner']).pw_uid, grp.getgrnam(f['group']).gr_gid)
            assert stat.S_IMODE(st_.st_mode) == int(f['mode'], 8)
            assert result['label'] == spec['label']
            expected = f['before'] is None or not dir_exists or f['before'][0] != f['wanted']
            assert result['content_changed'] == expected
        st_ = os.stat(conf)
        assert stat.S_IMODE(st_.st_mode) == int(dir_mode, 8) and st_.st_uid == pwd.getpwnam('nobody').pw_uid
        again = run_module_process('zk_files', args, diff=True)
        assert again['changed'] is False and not any(f['changed'] for f in again['files']), again
        assert again['diff'] == []
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_bad_input_fails_before_anything_is_written(tmp_path):
    target = tmp_path / 'a'
    cases = [
        (dict(files=[dict(path='relative/file', content='x')]), 'absolute'),
        (dict(files=[dict(path=str(tmp_path / 'missing' / 'f'), content='x')]), 'add it to directories'),
        (dict(files=[dict(path=str(tmp_path), content='x')]), 'is a directory'),
        (dict(files=[dict(path=str(target), content='x', secret_content='secret-value')]), 'mutually exclusive'),
        (dict(files=[dict(path=str(target))]), 'one of the following is required'),
    ]
    for args, fragment in cases:
        result = run_module_process('zk_files', args)
        assert result.get('failed') and fragment in result['msg'], (args, result)
    assert not target.exists()
    result = run_module_process('zk_files', dict(files=[dict(path=str(target), content='x', owner='no-such-user-zk')]))
    assert result.get('failed') and 'no-such-user-zk' in result['msg'], result


def test_a_secret_is_never_shown(tmp_path):
    secret = 'Sup3r-secret-%d' % os.getpid()
    play = tmp_path / 'play.yml'
    play.write_text('''
- hosts: localhost
  gather_facts: false
  tasks:
    - zkops.zookeeper.zk_files:
        directories: ["%(dir)s"]
        files:
          - {path: "%(dir)s/jaas.conf", secret_content: "password=%(secret)s\\n", mode: "0600", label: one}
          - {path: "%(dir)s/plain", content: "visible-text\\n", mode: "0644"}
''' % dict(dir=tmp_path / 'conf', secret=secret))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.collections'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_STDOUT_CALLBACK='ansible.builtin.default')
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
           '-e', 'ansible_python_interpreter=%s' % sys.executable, '--diff', '-vvv', str(play)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text
    assert (tmp_path / 'conf' / 'jaas.conf').read_text() == 'password=%s\n' % secret
    assert secret not in text
    assert 'visible-text' in text and '(secret content hidden)' in text


def test_before_and_after_texts_are_returned_only_with_diff(tmp_path):
    path = str(tmp_path / 'zoo.cfg')
    with open(path, 'w') as handle:
        handle.write('tickTime=2000\n')
    args = dict(files=[dict(path=path, content='tickTime=3000\n', owner='root', group='root', mode='0644')])
    plain = run_module_process('zk_files', args)
    assert plain['changed'] is True and 'diff' not in plain, plain
    args['files'][0]['content'] = 'tickTime=4000\n'
    with_diff = run_module_process('zk_files', args, diff=True)
    assert [d['after'] for d in with_diff['diff'] if 'after_header' in d] == ['tickTime=4000\n']
