"""Ctrl-C, and two classify runs writing the same output."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from nlp_pipeline.cli.main import cli
from nlp_pipeline.io.locks import lock_path, output_lock


def big_csv(path, n=60_000):
    lines = ["编号,内容"] + [
        f"{i},晚上小区里经常有人偷电动车，第{i}次希望加强巡逻" for i in range(n)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_says_so_in_chinese_exits_130_and_leaves_nothing(
    default_model, models_root, tmp_path, jobs
):
    src = big_csv(tmp_path / "in.csv")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    env = {**os.environ, "OPINIONS_MODELS_DIR": str(models_root), "PYTHONWARNINGS": "default"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "nlp_pipeline", "classify", str(src), "-o", str(out_dir / "o.csv")]
        + ["-j", jobs, "-q"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # like a terminal: Ctrl-C goes to the whole process group
    )
    deadline = time.time() + 60
    while time.time() < deadline and not any(out_dir.iterdir()):
        time.sleep(0.05)
    time.sleep(2.0)  # past the moment the workers start (Ctrl-C is ignored while they do)
    os.killpg(proc.pid, signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "已中断，未写出文件" in err
    assert "Traceback" not in err and "Warning" not in err, err
    assert [p.name for p in out_dir.iterdir()] == []


def test_second_run_on_the_same_output_is_refused_clearly(default_model, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("内容\n晚上巡逻少\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    with output_lock(out):  # the first run, still writing
        result = CliRunner().invoke(cli, ["classify", str(src), "-o", str(out), "-q"])
    assert result.exit_code == 1
    assert "另一个 opinions classify 正在写这个文件" in result.output
    assert not out.exists()
    assert CliRunner().invoke(cli, ["classify", str(src), "-o", str(out), "-q"]).exit_code == 0
    assert out.exists() and not lock_path(out).exists()


def test_lock_of_a_dead_run_is_taken_over(tmp_path):
    out = tmp_path / "o.csv"
    holder = {"pid": 999_999_999, "host": socket.gethostname()}
    lock_path(out).write_text(json.dumps(holder), "utf-8")
    with output_lock(out) as held:
        assert held == lock_path(out)
    assert not lock_path(out).exists()
