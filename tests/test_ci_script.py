""".ci/run fails, before it touches anything, when Chromium is missing and cannot be installed: a
run that skipped the history page would prove nothing about it."""

import os
import shutil
import subprocess
import sys

from tests.conftest import ROOT


def test_ci_fails_when_chromium_cannot_be_installed(tmp_path):
    # A checkout of its own (the script works from its own folder and would rebuild its .venv),
    # and a PATH with the tools the script needs but neither chromium nor apt-get, as a non-root user.
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "run", tmp_path / ".ci" / "run")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "env", "dirname", "grep", "tail", "rm"):
        found = shutil.which(tool)
        assert found, tool
        os.symlink(found, bin_dir / tool)
    os.symlink(os.path.realpath(sys.executable), bin_dir / "python3")  # the interpreter itself, not a shim
    (bin_dir / "id").write_text("#!/bin/sh\necho 1000\n")
    (bin_dir / "id").chmod(0o755)
    (tmp_path / ".venv").mkdir()
    done = subprocess.run([str(bin_dir / "bash"), str(tmp_path / ".ci" / "run")], capture_output=True, text=True,
                          timeout=60, env={"PATH": str(bin_dir), "HOME": str(tmp_path)})
    assert done.returncode == 1
    assert "chromium is missing and could not be installed" in done.stderr
    assert (tmp_path / ".venv").exists()  # stopped before rebuilding anything
