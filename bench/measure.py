"""Running a command once and measuring it: shared by the bench scripts."""

import os
import sys
import tempfile
import time


def measured(cmd):
    """(wall seconds, peak RSS bytes from wait4's ru_maxrss, stdout) of one
    run of cmd; stderr is discarded and a failure stops the bench."""
    out = tempfile.TemporaryFile()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.dup2(out.fileno(), 1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        try:
            os.execv(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed (exit {os.waitstatus_to_exitcode(status)})")
    out.seek(0)
    return wall, usage.ru_maxrss * 1024, out.read().decode()
