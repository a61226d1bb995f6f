"""The output schema and the formula guard: one definition each, shared by writers and readers."""

import subprocess
import sys

import pytest

from nlp_pipeline.io.schema import OUTPUT_FIELDS, ZH_HEADERS
from nlp_pipeline.io.writers import FORMULA_PREFIXES, neutralize_formula, restore_formula


def test_report_reads_the_schema_without_importing_batch_classification():
    code = (
        "import sys, nlp_pipeline.report.compute\n"
        "print('nlp_pipeline.tasks.classify' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_zh_headers_name_output_fields():
    assert set(ZH_HEADERS) <= set(OUTPUT_FIELDS)


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_restore_undoes_neutralize(prefix):
    value = prefix + "1+1"
    assert neutralize_formula(value) == "'" + value
    assert restore_formula(neutralize_formula(value)) == value


@pytest.mark.parametrize("value", ["'quoted by the citizen", "'", "plain", "", None, 3])
def test_restore_leaves_other_values_alone(value):
    assert restore_formula(value) == value


def test_every_chinese_header_is_read_back_by_the_report_and_the_label_reader():
    """--headers zh names are defined once (ZH_HEADERS); the readers' column lists derive
    from it or must contain it."""
    from nlp_pipeline.data.labelled import STANCE_COLUMNS, TOPIC_COLUMNS
    from nlp_pipeline.io.schema import FIELD_ALIASES, LABEL_COLUMNS
    from nlp_pipeline.report import compute

    read_by_report = {
        c for names in (*LABEL_COLUMNS.values(), *FIELD_ALIASES.values()) for c in names
    }
    assert set(ZH_HEADERS.values()) <= read_by_report
    assert set(ZH_HEADERS) <= read_by_report
    assert compute.LABEL_COLUMNS is LABEL_COLUMNS and compute.FIELD_ALIASES is FIELD_ALIASES
    assert set(LABEL_COLUMNS["topic"]) <= set(TOPIC_COLUMNS)
    assert set(LABEL_COLUMNS["stance"]) <= set(STANCE_COLUMNS)
