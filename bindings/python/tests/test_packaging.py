"""The wheel `make python-wheel` builds: PyPI's manylinux tag, checked by
auditwheel, and a working kfk from it alone (no KFK_LIBRARY, no build
tree)."""
import glob
import importlib.util
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def test_wheel_is_manylinux_and_works_alone(tmp_path):
    subprocess.run(["make", "-s", "-C", ROOT, "python-wheel"], check=True, capture_output=True)
    [wheel] = glob.glob(os.path.join(ROOT, "build", "dist", "kfk-*.whl"))
    assert wheel.endswith("-py3-none-manylinux_2_34_x86_64.whl"), wheel
    if importlib.util.find_spec("auditwheel"):  # installed for CPython by make deps, not in the PyPy venv
        show = subprocess.run([sys.executable, "-m", "auditwheel", "show", wheel], capture_output=True, text=True)
        assert show.returncode == 0, show.stderr
        assert 'consistent with the\nfollowing platform tag: "manylinux_2_34_x86_64"' in show.stdout, show.stdout
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), wheel],
                   check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if k not in ("KFK_LIBRARY", "PYTHONPATH")}
    out = subprocess.run([sys.executable, "-c", "import kfk; print(kfk.version(), kfk.__file__)"],
                         cwd=tmp_path, env={**env, "PYTHONPATH": str(target)}, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    version, path = out.stdout.split()
    assert version == "0.4.0" and path.startswith(str(target))
