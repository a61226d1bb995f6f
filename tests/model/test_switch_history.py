"""Switching the default model: the gate, and HISTORY.jsonl always agreeing with CURRENT."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from nlp_pipeline.errors import ModelError
from nlp_pipeline.model.registry import (
    HISTORY,
    current_version,
    gate_verdict,
    list_versions,
    switch_history,
    use_version,
)


def copy_version(default_model, name: str, promotion: object = None):
    """A copy of the default model under another name, its meta.json's promotion set."""
    target = default_model.parent / name
    shutil.copytree(default_model, target)
    if promotion is not None:
        meta = json.loads((target / "meta.json").read_text(encoding="utf-8"))
        meta["promotion"] = promotion
        (target / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return target


@pytest.mark.parametrize(
    "promotion, verdict",
    [
        (None, None),
        ({"gate_passed": True}, True),
        ({"gate_passed": False}, False),
        ({"gate_passed": "false"}, False),  # a hand-edited meta.json is not a bypass
        ({"gate_passed": 0}, False),
        ({}, False),
        ("failed", False),
    ],
)
def test_anything_but_a_clean_pass_counts_as_a_failed_gate(promotion, verdict):
    meta = {} if promotion is None else {"promotion": promotion}
    assert gate_verdict(meta) is verdict


def test_a_failed_gate_needs_force_whatever_its_spelling(default_model):
    copy_version(default_model, "v-bad", {"gate_passed": "no"})
    with pytest.raises(ModelError, match="--force"):
        use_version("v-bad")
    assert current_version() == "default" and switch_history() == []
    record = use_version("v-bad", force=True)
    assert record["forced"] and current_version() == "v-bad"


def test_a_listing_survives_a_meta_json_that_is_not_an_object(default_model):
    broken = copy_version(default_model, "v-list")
    (broken / "meta.json").write_text("[1]", encoding="utf-8")
    (default_model.parent / "not a version").mkdir()
    names = [v["version"] for v in list_versions()]
    assert "default" in names and "not a version" not in names
    with pytest.raises(ModelError):
        use_version("v-list")


def test_a_line_cut_short_by_a_crash_does_not_swallow_the_next_switch(default_model):
    copy_version(default_model, "v-good")
    (default_model.parent / HISTORY).write_text('{"version": "default"}\n{"vers', "utf-8")
    use_version("v-good")
    assert [h["version"] for h in switch_history()] == ["default", "v-good"]


def test_a_switch_that_fails_is_marked_failed_in_the_history(default_model, monkeypatch):
    from nlp_pipeline.model import registry

    copy_version(default_model, "v-good")

    def cannot_write(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(registry, "set_current", cannot_write)
    with pytest.raises(OSError):
        use_version("v-good")
    history = switch_history()
    assert history[-1]["version"] == "v-good" and "No space" in history[-1]["failed"]
    assert current_version() == "default"


# A slow disk (fsync of the history line takes 20 ms) widens the window between reading
# the current version and moving CURRENT, where two unlocked switches interleave.
SWITCHER = """
import os, sys, time
real_fsync = os.fsync
os.fsync = lambda fd: (time.sleep(0.02), real_fsync(fd))
from nlp_pipeline.model.registry import use_version
for _ in range(int(sys.argv[2])):
    use_version(sys.argv[1], force=True)
"""


def test_switches_at_the_same_time_leave_history_and_current_agreeing(default_model):
    """Two processes switching back and forth: the last record always names the default in
    use, and every record's "previous" is the version recorded just before it."""
    copy_version(default_model, "v-good")
    env = os.environ.copy()
    runs = [
        subprocess.Popen([sys.executable, "-c", SWITCHER, name, "15"], env=env)
        for name in ("v-good", "default")
    ]
    assert [p.wait(timeout=300) for p in runs] == [0, 0]
    history = switch_history()
    assert len(history) == 30
    assert history[-1]["version"] == current_version()
    for before, after in zip(history, history[1:], strict=False):
        assert after["previous"] == before["version"]
    assert not (default_model.parent / ".switch.lock").exists()


def test_the_listing_shows_each_gate_and_warns_of_a_missing_default(default_model):
    from click.testing import CliRunner

    from nlp_pipeline.cli.main import cli

    copy_version(default_model, "v-bad", {"gate_passed": False})
    copy_version(default_model, "v-good", {"gate_passed": True})
    lines = CliRunner().invoke(cli, ["models"]).output.splitlines()
    row = {line.split()[0].lstrip("*"): line for line in lines[1:] if line.strip()}
    assert "FAILED" in row["v-bad"] and "passed" in row["v-good"]
    (default_model.parent / "CURRENT").write_text("gone\n", encoding="utf-8")
    assert "does not exist" in CliRunner().invoke(cli, ["models"]).output
