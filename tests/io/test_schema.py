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
