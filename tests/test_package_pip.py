"""deploy/package with a pip too old for building on a Python other than 3.9: it points to the venv."""

import importlib.machinery
import importlib.util
import sys
import types

from tests.conftest import ROOT


def package_script():
    loader = importlib.machinery.SourceFileLoader("deploy_package", str(ROOT / "deploy" / "package"))
    spec = importlib.util.spec_from_loader("deploy_package", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_an_old_pip_in_the_build_venv_is_named_with_what_to_do():
    problem = package_script().pip_problem("21.2.4", (3, 11))
    assert "build/package-venv" in problem and "--python" in problem and "README" not in problem


def test_pyenvs_real_3_9_is_found_and_a_shim_without_one_passed_over(tmp_path, monkeypatch):
    import os
    import stat

    def script(path, body):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n" + body + "\n")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)

    root = tmp_path / "pyenv"
    for version in ("3.9.2", "3.9.18", "3.11.7"):
        script(root / "versions" / version / "bin" / "python3.9", f'echo cpython-39 # {version}')
    # What a pyenv shim does when no 3.9 is selected: it fails.
    script(tmp_path / "shims" / "python3.9", 'echo "pyenv: python3.9: command not found" >&2; exit 127')
    monkeypatch.setenv("PYENV_ROOT", str(root))
    monkeypatch.setenv("PATH", f"{tmp_path / 'shims'}{os.pathsep}{os.environ['PATH']}")
    script = package_script()
    # As run by a python3 that is not 3.9 (the test may itself run on 3.9, which would be taken first).
    monkeypatch.setattr(script, "sys", types.SimpleNamespace(version_info=(3, 11, 7), executable="/not/3.9",
                                                              exit=sys.exit))
    found = script.find_python39(None)
    assert found == str(root / "versions" / "3.9.18" / "bin" / "python3.9")


def test_new_pip_or_python_3_9_is_fine():
    script = package_script()
    assert script.pip_problem("23.3", (3, 12)) is None
    assert script.pip_problem("24.0.1", (3, 10)) is None
    assert script.pip_problem("20.0", (3, 9)) is None
