"""Starts egov on a data directory for a check, and stops it afterwards."""

import contextlib
import subprocess


@contextlib.contextmanager
def serving(binary: str, data_dir: str, demo: bool):
    """Yields egov's base URL (no trailing slash) once it is serving."""
    args = [binary, "serve", "--bind", "127.0.0.1:0", "--data-dir", data_dir]
    if not demo:
        args.append("--no-demo")
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:
            if line.startswith("egov is serving "):
                yield line.split()[3].rstrip("/")
                return
        raise RuntimeError("egov exited before serving")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
