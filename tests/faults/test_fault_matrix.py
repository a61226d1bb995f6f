"""The fault matrix: each command under kill -9, a full disk and a read-only target.

For every cell the invariants are the same:

* the final output is complete (it parses and has every row) or absent;
* the default model (``models/default`` and ``CURRENT``) and the corpus are byte-identical;
* the message of a failed write is a message, not a traceback;
* after the next (normal) run, no temporary or pending file is left anywhere.

Full disk and read-only targets use a small tmpfs mounted in a private user and mount
namespace (``unshare``); where that is not allowed, a simulated ENOSPC / EROFS is used
instead: ``builtins.open`` and ``os.open`` refuse writes under the target folder.
kill -9 hits each command at two moments of its normal run time (a training: of a fixed
estimate of it). Keep the whole module under about two minutes: CI runs it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ..conftest import CORPUS

PY = sys.executable
KILL_AT = (0.3, 0.75)  # fractions of the command's normal run time
STRAY = (".tmp-", ".pending-")


def _unshare_works() -> bool:
    if not shutil.which("unshare") or sys.platform != "linux":
        return False
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
         "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs $d && umount $d"],
        capture_output=True,
    )  # fmt: skip
    return probe.returncode == 0


# FAULTS_SIMULATE=1 forces the simulated faults (to test the fallback itself).
UNSHARE = not os.environ.get("FAULTS_SIMULATE") and _unshare_works()

# Used when no tmpfs can be mounted: the child refuses writes under FAULT_DIR.
SHIM = textwrap.dedent(
    """
    import builtins, errno, io, os, sys
    target = os.path.realpath(os.environ["FAULT_DIR"])
    code = errno.ENOSPC if os.environ["FAULT"] == "full" else errno.EROFS
    budget = [int(os.environ.get("FAULT_BYTES", "0"))]
    def _inside(path):
        try:
            return os.path.realpath(os.fspath(path)).startswith(target + os.sep)
        except TypeError:
            return False
    class _Full(io.RawIOBase):
        def __init__(self, raw):
            self.raw = raw
        def write(self, b):
            budget[0] -= len(b)
            if budget[0] < 0:
                raise OSError(code, os.strerror(code))
            return self.raw.write(b)
        def __getattr__(self, name):
            return getattr(self.raw, name)
    _open, _os_open, _mkdir = builtins.open, os.open, os.mkdir
    def open_(file, mode="r", *a, **k):
        if isinstance(file, (str, bytes, os.PathLike)) and _inside(file) and set(mode) & set("wax+"):
            if code == errno.EROFS:
                raise OSError(code, os.strerror(code), os.fspath(file))
            handle = _open(file, mode, *a, **k)
            if "b" in mode:
                return _Full(handle)
            handle.close()
            raise OSError(code, os.strerror(code), os.fspath(file))
        return _open(file, mode, *a, **k)
    def os_open(path, flags, *a, **k):
        if _inside(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            if code == errno.EROFS:
                raise OSError(code, os.strerror(code), os.fspath(path))
        return _os_open(path, flags, *a, **k)
    def mkdir(path, *a, **k):
        if _inside(path) and code == errno.EROFS:
            raise OSError(code, os.strerror(code), os.fspath(path))
        return _mkdir(path, *a, **k)
    builtins.open, io.open, os.open, os.mkdir = open_, open_, os_open, mkdir
    from nlp_pipeline.cli.main import main
    sys.argv[0] = "opinions"
    main()
    """
)


def _digest_tree(*roots: Path) -> dict[str, str]:
    out = {}
    for root in roots:
        if root.is_file():
            out[str(root)] = hashlib.sha256(root.read_bytes()).hexdigest()
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file():
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _strays(*folders: Path) -> list[str]:
    found = []
    for folder in folders:
        if folder.is_dir():
            found += [str(p) for p in folder.rglob("*") if any(s in p.name for s in STRAY)]
    return found


@pytest.fixture(scope="module")
def world(tmp_path_factory, small_model):
    """A workspace: models/default (the small model), a small corpus, inputs."""
    from ..conftest import small_corpus_lines

    base = tmp_path_factory.mktemp("faults")
    models = base / "models"
    models.mkdir()
    shutil.copytree(small_model, models / "default")
    corpus = base / "corpus"
    corpus.mkdir()
    (corpus / "train.jsonl").write_text("\n".join(small_corpus_lines(12)) + "\n", encoding="utf-8")
    shutil.copy(CORPUS / "test.jsonl", corpus / "test.jsonl")
    texts = [line for line in (CORPUS / "test.jsonl").read_text(encoding="utf-8").splitlines()]
    import json

    comments = [json.loads(t)["text"].replace('"', "'") for t in texts]
    rows = (comments * 2)[:1000]
    (base / "in.csv").write_text(
        "编号,内容\n" + "".join(f'{i},"{t}"\n' for i, t in enumerate(rows)), encoding="utf-8"
    )
    labels = [json.loads(t) for t in small_corpus_lines(14)[-60:]]
    (base / "labels.csv").write_text(
        "text,topic,stance\n"
        + "".join(
            f'"{r["text"].replace(chr(34), "")}新增",{r["topic"]},{r["stance"]}\n' for r in labels
        ),
        encoding="utf-8",
    )
    cache = base / "cache"
    env = {
        **os.environ,
        "OPINIONS_MODELS_DIR": str(models),
        "OPINIONS_HOME": str(base / "home"),
        "NLP_PIPELINE_CACHE": str(cache),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    world = {"base": base, "models": models, "corpus": corpus, "env": env}
    out = base / "ready"
    out.mkdir()
    done = _run(world, ["classify", str(base / "in.csv"), "-o", str(out / "c.csv"), "-q"])
    assert done.returncode == 0, done.stderr
    world["classified"] = out / "c.csv"
    return world


def _argv(world, command: str, out: Path) -> list[str]:
    base, corpus = world["base"], world["corpus"]
    jobs = ["--jobs", "1", "-q"]
    return {
        "classify_csv": ["classify", str(base / "in.csv"), "-o", str(out / "r.csv"), *jobs],
        "classify_xlsx": ["classify", str(base / "in.csv"), "-o", str(out / "r.xlsx"), *jobs],
        "classify_jsonl": ["classify", str(base / "in.csv"), "-o", str(out / "r.jsonl"), *jobs],
        "report": ["report", str(world["classified"]), "-o", str(out / "r.html")],
        "suggest": ["suggest", str(base / "in.csv"), "-n", "20", "-o", str(out / "r.xlsx"), "-q"],
        "train": ["train", "--add", str(base / "labels.csv"), "--corpus", str(corpus), "-q"],
        "promote": ["train", "--add", str(base / "labels.csv"), "--corpus", str(corpus),
                    "--promote", "--force", "-q"],
    }[command]  # fmt: skip


def _run(world, argv, *, env=None, timeout=120, wrapper=None) -> subprocess.CompletedProcess:
    cmd = [PY, "-m", "nlp_pipeline", *argv]
    if wrapper:
        cmd = wrapper(cmd)
    return subprocess.run(
        cmd, env=env or world["env"], capture_output=True, text=True, timeout=timeout
    )


def _check_output(path: Path, n_rows: int) -> None:
    """Absent, or complete."""
    if not path.exists():
        return
    if path.suffix == ".csv":
        import csv

        with open(path, encoding="utf-8-sig", newline="") as fh:
            assert sum(1 for _ in csv.reader(fh)) == n_rows + 1
    elif path.suffix == ".jsonl":
        import json

        lines = path.read_text(encoding="utf-8").splitlines()
        assert len(lines) == n_rows and all(json.loads(line) for line in lines)
    elif path.suffix == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        if n_rows:
            assert sum(1 for _ in book.worksheets[0].iter_rows()) == n_rows + 1
        book.close()
    else:
        assert path.read_text(encoding="utf-8").rstrip().endswith("</html>")


# Cells that fail today (measured 2026-12-05): left visible as expected failures, not
# hidden. Each is a finding to fix; strict=False because kill timing varies.
KNOWN: dict[tuple[str, str], str] = {}
# Kill times of a training are fractions of these (about its run time on 2 cores): early
# (validation, cross-validation) and late (saving, moving the samples, promoting).
TRAINING_SECONDS = {"train": 12.0, "promote": 12.0}


def _known(request, command: str, fault: str) -> None:
    reason = KNOWN.get((command, fault))
    if reason:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=False))


ROWS = {"classify_csv": 1000, "classify_xlsx": 1000, "classify_jsonl": 1000, "suggest": 0}
FILE_COMMANDS = ("classify_csv", "classify_xlsx", "classify_jsonl", "report", "suggest")
ALL = (*FILE_COMMANDS, "train", "promote")
MATRIX: dict[tuple[str, str], str] = {}


def _state(world) -> dict[str, str]:
    # A killed training's hidden pending-samples file is a temporary, not corpus: it is
    # never read as corpus (tests/test_pending.py) and the next run removes it (_strays).
    corpus = {
        k: v
        for k, v in _digest_tree(world["corpus"]).items()
        if not Path(k).name.startswith(".pending-")
    }
    return (
        _digest_tree(world["models"] / "default")
        | corpus
        | (
            _digest_tree(world["models"] / "CURRENT")
            if (world["models"] / "CURRENT").exists()
            else {}
        )
    )


def _reset_models(world) -> None:
    """Forget versions trained by earlier cells (keep default and the corpus)."""
    for path in world["models"].iterdir():
        if path.name not in ("default",) and not path.name.startswith(".train.lock"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    added = world["corpus"] / "added"
    if added.exists():
        shutil.rmtree(added)


@pytest.mark.parametrize("command", ALL)
def test_kill_9_at_several_moments(world, tmp_path, command, request):
    _known(request, command, "kill -9")
    _reset_models(world)
    before = _state(world)
    out = tmp_path / "out"
    out.mkdir()
    argv = _argv(world, command, out)
    if command in TRAINING_SECONDS:  # a training is slow: kill at fixed moments instead
        duration = TRAINING_SECONDS[command]
    else:
        started = time.perf_counter()
        normal = _run(world, argv)
        duration = time.perf_counter() - started
        assert normal.returncode == 0, normal.stderr
        shutil.rmtree(out)
        out.mkdir()
    outcomes = []
    for fraction in KILL_AT:
        child = subprocess.Popen(
            [PY, "-m", "nlp_pipeline", *argv], env=world["env"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(duration * fraction)
        child.send_signal(signal.SIGKILL)
        child.wait()
        outcomes.append("killed" if child.returncode == -signal.SIGKILL else "finished")
        if command in ROWS or command == "report":
            for path in out.iterdir():
                if not path.name.startswith("."):
                    _check_output(path, ROWS.get(command, 0))
        if command in ("train", "promote") and _state(world) != before:
            _check_completed_training(world, before)  # killed after its commit point
        else:
            assert _state(world) == before, "default model or corpus changed"
        _reset_models(world)  # a promotion that finished before the kill is undone here
    # The next run cleans up what the killed ones left.
    again = _run(world, argv)
    assert again.returncode == 0, again.stderr
    assert not _strays(out, world["models"], world["corpus"])
    if command == "promote":
        assert _digest_tree(world["models"] / "default") == {
            k: v for k, v in before.items() if "/default/" in k
        }
    MATRIX[(command, "kill -9")] = "ok (" + ", ".join(outcomes) + ")"
    _reset_models(world)


def _check_completed_training(world, before: dict[str, str]) -> None:
    """A run killed after its commit point: what changed belongs to a complete version.

    The commit point of a training is the move of its pending samples to
    ``added/<version>.jsonl``, after the version's folder is complete; a promotion's is
    the rewrite of CURRENT. Either may have happened when the kill came.
    """
    import json

    from nlp_pipeline.model.predictor import Predictor

    now = _state(world)
    assert {k: v for k, v in now.items() if "/default/" in k} == {
        k: v for k, v in before.items() if "/default/" in k
    }, "models/default changed"
    for path in set(now) - set(before):
        if path.endswith("CURRENT"):
            version = Path(path).read_text(encoding="utf-8").strip()
        else:
            assert "/added/" in path, path
            version = Path(path).stem
        folder = world["models"] / version
        Predictor(folder)  # complete: every file present and matching its checksum
        names = json.loads((folder / "meta.json").read_text(encoding="utf-8"))["corpus_files"]
        assert all((world["corpus"] / name).is_file() for name in names)


def _tmpfs_wrapper(mount: Path, options: str, prepare: str = ""):
    def wrap(cmd: list[str]) -> list[str]:
        quoted = " ".join(f"'{c}'" for c in cmd)
        script = (
            f"mount -t tmpfs -o {options} tmpfs '{mount}' && {prepare} "
            f"{quoted}; rc=$?; echo LEFT: $(ls -A '{mount}'); exit $rc"
        )
        return ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script]

    return wrap


def _fault_run(world, argv, target: Path, fault: str, prepare: str = ""):
    if UNSHARE:
        options = "size=8k" if fault == "full" else "ro,size=8k"
        return _run(world, argv, wrapper=_tmpfs_wrapper(target, options, prepare)), "tmpfs"
    env = {**world["env"], "FAULT_DIR": str(target), "FAULT": fault, "FAULT_BYTES": "8192"}
    cmd = [PY, "-c", SHIM, *argv]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    return done, "simulated"


@pytest.mark.parametrize("fault", ["full", "readonly"])
@pytest.mark.parametrize("command", FILE_COMMANDS)
def test_full_disk_and_read_only_target_for_outputs(world, tmp_path, command, fault, request):
    _known(request, command, fault)
    before = _state(world)
    out = tmp_path / "out"
    out.mkdir()
    done, how = _fault_run(world, _argv(world, command, out), out, fault)
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert any(
        word in done.stderr
        for word in ("磁盘空间不足", "只读", "无法写入", "没有写入权限", "无法读写")
    ), done.stderr
    if how == "tmpfs":
        left = done.stdout.rsplit("LEFT:", 1)[-1].split()
        assert left == [], left
    else:
        assert not list(out.iterdir())
    assert _state(world) == before
    MATRIX[(command, fault)] = f"ok ({how}): {done.stderr.strip().splitlines()[-1][:60]}"


@pytest.mark.parametrize("fault", ["full", "readonly"])
@pytest.mark.parametrize("command", ["train", "promote"])
def test_full_disk_and_read_only_models_folder_for_training(
    world, tmp_path, command, fault, request
):
    _known(request, command, fault)
    _reset_models(world)
    before = _state(world)
    models = world["models"]
    saved = tmp_path / "saved_default"
    shutil.copytree(models / "default", saved)
    argv = _argv(world, command, tmp_path)
    size = sum(p.stat().st_size for p in saved.rglob("*")) + (64 << 10)
    if UNSHARE:
        options = f"size={size}" if fault == "full" else "ro"
        prepare = f"cp -r '{saved}' '{models}/default' &&" if fault == "full" else ""
        if fault == "readonly":
            # A read-only models folder that still holds the default model: mount the copy.
            wrap = _ro_bind(models, saved)
        else:
            wrap = _tmpfs_wrapper(models, options, prepare)
        done, how = _run(world, argv, wrapper=wrap), "tmpfs"
    else:
        done, how = _fault_run(world, argv, models, fault)
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert _state(world) == before
    assert not _strays(world["corpus"]), "pending file left in the corpus"
    if how == "tmpfs" and fault == "full":
        left = [n for n in done.stdout.rsplit("LEFT:", 1)[-1].split() if any(s in n for s in STRAY)]
        assert left == [], left
    MATRIX[(command, fault)] = f"ok ({how}): {done.stderr.strip().splitlines()[-1][:60]}"


def _ro_bind(models: Path, saved: Path):
    def wrap(cmd: list[str]) -> list[str]:
        quoted = " ".join(f"'{c}'" for c in cmd)
        script = (
            f"mount --bind '{models}' '{models}' && mount -o remount,bind,ro '{models}' && "
            f"{quoted}; rc=$?; exit $rc"
        )
        return ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script]

    return wrap


def test_print_matrix():
    """Not a check: prints the matrix measured by this module (pytest -s shows it)."""
    for (command, fault), outcome in sorted(MATRIX.items()):
        print(f"{command:15} {fault:9} {outcome}")


@pytest.mark.parametrize("command", ["classify_xlsx", "train"])
def test_sigterm_cleans_up_at_once(world, tmp_path, command):
    """SIGTERM unwinds like Ctrl+C: no temporary or pending file, not even until the next run."""
    _reset_models(world)
    before = _state(world)
    out = tmp_path / "out"
    out.mkdir()
    argv = _argv(world, command, out)
    if command.startswith("classify"):
        argv = [a if a != "1" else "2" for a in argv]  # --jobs 2: workers too
    if command in TRAINING_SECONDS:
        duration = TRAINING_SECONDS[command]
    else:
        started = time.perf_counter()
        assert _run(world, argv).returncode == 0
        duration = time.perf_counter() - started
        shutil.rmtree(out)
        out.mkdir()
    child = subprocess.Popen(
        [PY, "-m", "nlp_pipeline", *argv], env=world["env"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(duration * 0.6)
    child.send_signal(signal.SIGTERM)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode in (0, 128 + signal.SIGTERM), stderr
    assert "Traceback" not in stderr, stderr
    assert not _strays(out, world["models"], world["corpus"])
    if child.returncode:
        assert _state(world) == before
        assert not [p for p in out.iterdir()]
    MATRIX[(command, "SIGTERM")] = f"ok (exit {child.returncode})"
    _reset_models(world)
