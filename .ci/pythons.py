"""Print the oldest and the newest supported CPython (3.9+) found on this machine, one path a line.

Looks at pyenv's versions (``pyenv root``), ``python3.X`` on PATH (what actions/setup-python installs)
and ``python3``.  With one interpreter found, it is printed twice.  Runs on any Python 3.
"""
import glob
import os
import shutil
import subprocess
import sys

SUPPORTED = (3, 9)


def version(path):
    try:
        out = subprocess.run([path, "-c", "import sys; print('%d %d' % sys.version_info[:2]); "
                              "print(sys.implementation.name)"],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = out.stdout.split()
    if out.returncode != 0 or len(lines) != 3 or lines[2] != "cpython":
        return None
    return int(lines[0]), int(lines[1])


def candidates():
    found = []
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
        found += sorted(glob.glob(os.path.join(root, "versions", "3.*", "bin", "python3")))
    for minor in range(9, 20):
        path = shutil.which("python3.%d" % minor)
        if path:
            found.append(path)
    found.append(shutil.which("python3") or sys.executable)
    return found


def main():
    usable = {}
    for path in candidates():
        v = version(path)
        if v is not None and v >= SUPPORTED and v not in usable:
            usable[v] = path
    if not usable:
        sys.exit("no CPython 3.9+ found")
    print(usable[min(usable)])
    print(usable[max(usable)])


if __name__ == "__main__":
    main()
