"""deploy/package with a pip too old for building on a Python other than 3.9: it points to the venv."""

import importlib.machinery
import importlib.util

from tests.conftest import ROOT


def package_script():
    loader = importlib.machinery.SourceFileLoader("deploy_package", str(ROOT / "deploy" / "package"))
    spec = importlib.util.spec_from_loader("deploy_package", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_old_pip_is_told_to_use_the_venv_not_to_upgrade_the_system():
    problem = package_script().pip_problem("21.2.4", (3, 11))
    assert ".venv/bin/python deploy/package" in problem and "README, command 1" in problem
    assert "install -U pip" not in problem and "upgrade" not in problem


def test_new_pip_or_python_3_9_is_fine():
    script = package_script()
    assert script.pip_problem("23.3", (3, 12)) is None
    assert script.pip_problem("24.0.1", (3, 10)) is None
    assert script.pip_problem("20.0", (3, 9)) is None
