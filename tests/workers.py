"""The real task worker (django-tasks' `db_worker`) run as a subprocess on the test database."""
import subprocess
import sys

from tests.servers import ROOT, server_env


def run_worker(queues: str = "*", **env) -> str:
    """Run every task that is due, then return the worker's output (it exits when none is left)."""
    proc = subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload",
         "--queue-name", queues, "-v", "1"],
        cwd=ROOT, env=server_env(**env), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def worker_command(queues: str = "*", interval: float = 0.2) -> list[str]:
    """A long-running worker, as `make run` and the Procfile start it."""
    return [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--no-reload",
            "--queue-name", queues, "--interval", str(interval)]


def run_worker_here(queues: str = "*") -> None:
    """The same worker loop (django-tasks-db's Worker) in this process, until no task is due.
    Needs a transactional test (`django_db(transaction=True)`): tasks are queued after commit."""
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(queue_names=queues.split(","), interval=0, batch=True, backend_name="default", startup_delay=False,
           max_tasks=None, worker_id="test-worker-in-process", excluded_queue_names=[]).run()
