"""Without DOORSTEP_SECRET_KEY, every process of a host uses the one secret kept in the
instance directory (app/config.py), made once even when several workers start together."""
import multiprocessing
import os
import stat

from app import config


def _secret_of(instance_dir, queue):
    queue.put(config.instance_secret(instance_dir))


def test_processes_starting_together_make_and_share_one_secret(tmp_path):
    instance = str(tmp_path / "instance")          # not even the directory exists yet
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    processes = [context.Process(target=_secret_of, args=(instance, queue)) for _ in range(8)]
    for p in processes:
        p.start()
    secrets = {queue.get(timeout=60) for _ in processes}
    for p in processes:
        p.join(60)
    assert len(secrets) == 1 and len(secrets.pop()) == 64
    assert os.listdir(instance) == ["secret_key"]              # no temporary file left behind
    assert stat.S_IMODE(os.stat(os.path.join(instance, "secret_key")).st_mode) == 0o600


def test_the_environment_wins_else_the_instance_secret(tmp_path):
    instance = str(tmp_path)
    kept = config.instance_secret(instance)
    assert config.load(instance, environ={})["SECRET_KEY"] == kept
    assert config.load(instance, environ={"DOORSTEP_SECRET_KEY": "set"})["SECRET_KEY"] == "set"
