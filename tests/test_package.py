"""deploy/package builds a zip that runs on its own: handler at the root, no fake cloud, every
dependency inside, and binaries only for SCF's CPython 3.9 on x86_64 Linux.

Building downloads wheels from the package index (about 15 s with a warm pip cache); it runs
once per session. The run in a fresh interpreter needs the platform the package is built for.
"""

import importlib.util
import json
import marshal
import platform
import subprocess
import sys
import zipfile

import pytest
from packaging.specifiers import SpecifierSet

from tests.conftest import APPID, ROOT, SECRET_ID, SECRET_KEY, TOKEN

# Slow: building the package takes seconds; left to the full run (CI).
pytestmark = pytest.mark.slow

ON_TARGET = (sys.platform.startswith("linux") and platform.machine() == "x86_64"
             and sys.implementation.name == "cpython" and sys.version_info[:2] == (3, 9))
needs_target = pytest.mark.skipif(not ON_TARGET, reason="the package holds CPython 3.9 x86_64 Linux binaries")

# What the fake cloud needs that the function does not: taken from the development environment.
FAKE_ONLY = ("responses", "yaml", "_yaml")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    build = tmp_path_factory.mktemp("build")
    result = subprocess.run([sys.executable, str(ROOT / "deploy" / "package"), "--build-dir", str(build)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    assert result.returncode == 0, result.stdout
    return build, result.stdout


@pytest.fixture(scope="module")
def unpacked(built, tmp_path_factory):
    build, _ = built
    target = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(build / "cos-ci-unbinder.zip") as zf:
        zf.extractall(target)
    return target


def test_reports_its_sizes(built):
    _, output = built
    assert "unzipped: " in output and "zipped: " in output and " MB (" in output


def test_zip_is_the_package_directory(built):
    build, _ = built
    package = build / "package"
    on_disk = sorted(p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file())
    with zipfile.ZipFile(build / "cos-ci-unbinder.zip") as zf:
        assert sorted(zf.namelist()) == on_disk


def test_layout(built):
    build, _ = built
    with zipfile.ZipFile(build / "cos-ci-unbinder.zip") as zf:
        names = zf.namelist()
    assert "handler.py" in names  # at the root, where SCF looks for handler.main_handler
    ours = sorted(n for n in names if n.startswith("lib/") and not n.endswith(".pyc"))
    # The function's own code only: not the fake cloud, the operator's tools or the CLI entry.
    source = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "lib").rglob("*.py")
                    if not {"fakecloud", "ops", "__pycache__"} & set(p.parts) and p.name != "__main__.py")
    assert ours == source
    assert not [n for n in names if n.startswith(("lib/ops/", "lib/fakecloud/")) or n == "lib/__main__.py"]
    # Bytecode only as CPython 3.9 reads it from __pycache__; nothing of this machine's Python.
    assert not [n for n in names if n.endswith(".pyo") or (n.endswith(".pyc") and not (
        "/__pycache__/" in f"/{n}" and n.endswith(".cpython-39.pyc")))]
    assert not [n for n in names if n.startswith(("tests/", "bench/", "bin/"))]
    for top in ("qcloud_cos/", "tencentcloud/common/", "tencentcloud/tag/", "tenacity/", "requests/", "crcmod/"):
        assert any(n.startswith(top) for n in names), top
    # setup-eventbridge's SDK is a development tool, not part of the function.
    assert not any(n.startswith("tencentcloud/eb/") for n in names)


def test_every_module_is_compiled_for_python_3_9(built):
    from tests.test_package_pip import package_script

    if package_script().find_python39(None) is None:
        pytest.skip("no CPython 3.9 here (nor in pyenv) to compile the bytecode")
    build, output = built
    with zipfile.ZipFile(build / "cos-ci-unbinder.zip") as zf:
        names = set(zf.namelist())
        sources = [n for n in names if n.endswith(".py")]
        missing = [n for n in sources if _pyc_of(n) not in names]
        # Only a module that does not compile on 3.9 may lack its .pyc; ours all have one.
        assert not [n for n in missing if n == "handler.py" or n.startswith("lib/")]
        assert len(missing) < len(sources) / 20, missing[:10]
        assert "bytecode: " in output and "modules compiled by" in output
        for name in ("handler.py", "lib/run.py", "qcloud_cos/cos_client.py"):
            data = zf.read(_pyc_of(name))
            if sys.version_info[:2] != (3, 9):
                continue  # 3.9's bytecode: only a 3.9 reads its magic number and code objects
            assert data[:4] == importlib.util.MAGIC_NUMBER
            # PEP 552 flags: hash-based (bit 0), source not checked (bit 1 clear): no stat, no
            # timestamp, the same bytes from the same code; and tracebacks name the package's paths.
            assert int.from_bytes(data[4:8], "little") == 0b01
            assert marshal.loads(data[16:]).co_filename == name


def _pyc_of(source: str) -> str:
    head, _, tail = source.rpartition("/")
    return f"{head + '/' if head else ''}__pycache__/{tail[:-3]}.cpython-39.pyc"


def test_binaries_are_for_the_runtime_and_crcmod_is_pure(built):
    build, _ = built
    with zipfile.ZipFile(build / "cos-ci-unbinder.zip") as zf:
        binaries = [n for n in zf.namelist() if n.endswith(".so")]
    assert all(n.endswith((".cpython-39-x86_64-linux-gnu.so", ".abi3.so")) for n in binaries), binaries
    assert not [n for n in binaries if n.startswith("crcmod/")]


def test_every_distribution_supports_python_3_9(built):
    build, _ = built
    requires = {}
    for metadata in (build / "package").glob("*.dist-info/METADATA"):
        for line in metadata.read_text(encoding="utf-8").splitlines():
            if line.startswith("Requires-Python:"):
                requires[metadata.parent.name] = line.split(":", 1)[1].strip()
            if not line:
                break
    assert requires, "no Requires-Python found at all"
    assert {name: spec for name, spec in requires.items() if "3.9.0" not in SpecifierSet(spec)} == {}


RUN_IN_PACKAGE = r"""
import importlib.util, json, os, sys, sysconfig

package, source, shim = sys.argv[1:4]
sys.path.insert(0, package)
import handler  # as SCF imports it: the package and the standard library, nothing else

import crcmod
crc64 = crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True)

# The fake cloud, from the source tree, as lib.fakecloud beside the packaged lib.
sys.path.append(shim)
fake_dir = os.path.join(source, "lib", "fakecloud")
spec = importlib.util.spec_from_file_location("lib.fakecloud", os.path.join(fake_dir, "__init__.py"),
                                              submodule_search_locations=[fake_dir])
fakecloud = importlib.util.module_from_spec(spec)
sys.modules["lib.fakecloud"] = fakecloud
spec.loader.exec_module(fakecloud)

cloud = fakecloud.FakeCloud(appid=os.environ["TENCENTCLOUD_APPID"], secret_id=os.environ["TENCENTCLOUD_SECRETID"],
                            secret_key=os.environ["TENCENTCLOUD_SECRETKEY"],
                            token=os.environ["TENCENTCLOUD_SESSIONTOKEN"])
cloud.add_bucket("clean-1250000000", "ap-guangzhou", tags={"ci-unbind": "true"})
cloud.add_bucket("busy-1250000000", "ap-guangzhou", tags={"ci-unbind": "true"}).add_workflow(state="Paused")
event = {"buckets": [{"bucket": b, "region": "ap-guangzhou"} for b in ("clean-1250000000", "busy-1250000000")]}
with cloud:
    report = handler.main_handler(event, {"request_id": "package-test", "time_limit_in_ms": 60000})

stdlib = tuple(os.path.realpath(sysconfig.get_paths()[k]) for k in ("stdlib", "platstdlib"))
places = {}
for name, module in list(sys.modules.items()):
    path = getattr(module, "__file__", None)
    if not path:
        continue
    path = os.path.realpath(path)
    if path.startswith(os.path.realpath(package) + os.sep):
        continue
    if path.startswith(stdlib):
        continue
    places[name] = path
print(json.dumps({"report": report, "crc64": crc64(b"123456789"), "crc_extension": sys.modules["crcmod.crcmod"]._usingExtension,
                  "outside": places, "requests": sys.modules["requests"].__file__,
                  "handler": handler.__file__}))
"""


@needs_target
def test_runs_from_the_zip_alone(unpacked, tmp_path):
    shim = tmp_path / "fake-only"
    shim.mkdir()
    for name in FAKE_ONLY:
        spec = importlib.util.find_spec(name)
        (shim / name).symlink_to(spec.submodule_search_locations[0], target_is_directory=True)
    env = {"TENCENTCLOUD_SECRETID": SECRET_ID, "TENCENTCLOUD_SECRETKEY": SECRET_KEY,
           "TENCENTCLOUD_SESSIONTOKEN": TOKEN, "TENCENTCLOUD_APPID": APPID, "CI_UNBIND_DRY_RUN": "false",
           "LANG": "C.UTF-8"}
    # -I: no user site, no PYTHON* variables, no script directory; -S: not even site-packages.
    result = subprocess.run([sys.executable, "-I", "-S", "-c", RUN_IN_PACKAGE, str(unpacked), str(ROOT), str(shim)],
                            capture_output=True, text=True, env=env, cwd=tmp_path,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])

    assert out["handler"].startswith(str(unpacked))
    assert out["requests"].startswith(str(unpacked))  # the fake patched the function's own requests
    fake_source = str((ROOT / "lib" / "fakecloud").resolve())
    strays = {name: path for name, path in out["outside"].items()
              if not (name.split(".")[0] in FAKE_ONLY or name == "lib.fakecloud" or name.startswith("lib.fakecloud.")
                      or path.startswith(fake_source))}
    assert strays == {}, "imported from outside the package"

    assert out["crc64"] == 0x995DC9BBDF1939FA and out["crc_extension"] is False

    report = out["report"]
    assert report["ok"] is True and report["dry_run"] is False and report["trigger"] == "manual"
    outcomes = {r["bucket"]: (r["outcome"], [x["code"] for x in r["reasons"]]) for r in report["results"]}
    assert outcomes == {"clean-1250000000": ("unbound", ["unbind_accepted", "ci_status"]),
                        "busy-1250000000": ("blocked", ["workflow"])}
