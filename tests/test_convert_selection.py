"""convert and overrides with uv's selection flags, offline, on real uv.locks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clitools import Run
from samples import SAMPLES

WILD = Path(__file__).resolve().parents[2] / "shared" / "samples" / "wild"
NANOCHAT = WILD / "nanochat-torch-cu128-cpu" / "uv.lock"
TARGET = ["--system", "x86_64-linux", "--python", "3.12"]


def wild(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared/samples/wild is not beside this clone)")
    return path


def convert(run: Run, lock: Path, out: Path, *flags: str) -> tuple[int, str]:
    code, _, err = run("convert", lock, "--no-inspect", "--offline", "-o", out, *TARGET, *flags)
    return code, err


def packages(out: Path) -> dict[str, dict[str, object]]:
    doc = json.loads(out.read_text())
    found: dict[str, dict[str, object]] = doc["targets"]["x86_64-linux/3.12"]["packages"]
    return found


def test_an_extra_takes_its_fork_from_its_index_offline(run: Run, tmp_path: Path) -> None:
    lock, out = wild(NANOCHAT), tmp_path / "gpu.json"
    assert convert(run, lock, out, "--extra", "gpu")[0] == 0
    torch = packages(out)["torch"]
    assert torch["version"] == "2.9.1+cu128" and "cu128" in str(torch["url"])
    assert "nvidia-cudnn-cu12" in packages(out)
    assert json.loads(out.read_text())["options"]["selection"]["extras"] == ["gpu"]
    first = out.read_bytes()
    assert convert(run, lock, out, "--extra", "gpu")[0] == 0
    assert out.read_bytes() == first  # the same flags give the same file
    assert convert(run, lock, tmp_path / "cpu.json", "--extra", "cpu")[0] == 0
    assert packages(tmp_path / "cpu.json")["torch"]["version"] == "2.9.1+cpu"
    assert convert(run, lock, tmp_path / "plain.json")[0] == 0
    assert packages(tmp_path / "plain.json")["torch"]["version"] == "2.9.1"


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--extra", "cpu", "--extra", "gpu"], "the extras cpu and gpu of nanochat conflict"),
        (["--extra", "cuda"], "no selected project (nanochat) has the extra cuda"),
        (["--group", "lint"], "has the group lint"),
        (["--package", "other"], "--package other is not a member of the workspace"),
    ],
)
def test_a_selection_the_lock_cannot_satisfy_is_one_line(
    flags: list[str], words: str, run: Run, tmp_path: Path
) -> None:
    out = tmp_path / "wheels.lock.json"
    out.write_text("old\n")
    code, err = convert(run, wild(NANOCHAT), out, *flags)
    assert code == 1 and err.count("\n") == 1 and words in err, err
    assert out.read_text() == "old\n"


@pytest.mark.parametrize(
    ("folder", "flags"),
    [
        ("nanochat-torch-cu128-cpu", []),
        ("nanochat-torch-cu128-cpu", ["--all-groups"]),
        ("lerobot-uv-cu128-robotics", []),
        ("lerobot-uv-cu128-robotics", ["--all-extras", "--allow-sdist"]),
        ("anki-pyqt6-workspace", ["--all-packages", "--extra", "qt"]),
        ("anki-pyqt6-workspace", ["--all-packages", "--all-groups", "--allow-sdist"]),
    ],
)
def test_every_real_uv_lock_converts_offline(
    folder: str, flags: list[str], run: Run, tmp_path: Path
) -> None:
    out = tmp_path / "wheels.lock.json"
    code, err = convert(run, wild(WILD / folder / "uv.lock"), out, *flags)
    assert code == 0, err
    assert packages(out)


def test_anki_takes_nothing_by_default_and_pyqt6_with_its_extra(run: Run, tmp_path: Path) -> None:
    """As uv export: the workspace root has no dependencies of its own."""
    lock = wild(WILD / "anki-pyqt6-workspace" / "uv.lock")
    assert convert(run, lock, tmp_path / "root.json")[0] == 0
    assert packages(tmp_path / "root.json") == {}
    assert convert(run, lock, tmp_path / "qt.json", "--all-packages", "--extra", "qt")[0] == 0
    assert packages(tmp_path / "qt.json")["pyqt6"]["version"] == "6.11.0"


def test_the_flags_are_refused_for_a_lock_that_holds_its_choice(run: Run, tmp_path: Path) -> None:
    code, err = convert(run, SAMPLES / "demo" / "Pipfile.lock", tmp_path / "l.json", "--extra", "x")
    assert code == 1 and "choose from a uv.lock" in err, err


def test_the_root_project_alone_by_default_on_a_bundled_lock(run: Run, tmp_path: Path) -> None:
    """Without ../shared: the scientific sample, default selection, offline."""
    out = tmp_path / "l.json"
    code, err = convert(run, SAMPLES / "scientific" / "uv.lock", out, "--group", "nope")
    assert code == 1 and "has the group nope" in err
    assert convert(run, SAMPLES / "scientific" / "uv.lock", out)[0] == 0
    assert "numpy" in packages(out)
