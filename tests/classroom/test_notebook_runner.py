"""The classroom test's nbval-like check (tests/classroom/notebook_runner.py), without a hub."""

from pathlib import Path

import nbformat
from notebook_runner import cell_options, compare_outputs, read_sanitize_patterns

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = read_sanitize_patterns(ROOT / "tests" / "nbval-sanitize.cfg")


def stream(text, name="stdout"):
    return nbformat.from_dict({"output_type": "stream", "name": name, "text": text})


def display(data, kind="display_data"):
    output = {"output_type": kind, "data": data, "metadata": {}}
    if kind == "execute_result":
        output["execution_count"] = 7
    return nbformat.from_dict(output)


def test_the_projects_sanitize_file_is_read():
    assert PATTERNS == [(r"at 0x[0-9a-fA-F]+", "at 0xADDR")]


def test_equal_outputs_pass_and_a_changed_number_fails():
    stored = [stream("loss 0.2512\n"), display({"text/plain": "<Figure size 640x480 with 1 Axes>"})]
    assert compare_outputs([stream("loss 0.2512\n"), stored[1]], stored, PATTERNS) is None
    difference = compare_outputs([stream("loss 0.2513\n"), stored[1]], stored, PATTERNS)
    assert "'stdout' differs" in difference and "loss 0.2512" in difference


def test_images_widget_ids_and_execution_counts_are_not_compared():
    stored = [
        display({"text/plain": "<Figure>", "image/png": "AAAA"}, "execute_result"),
        display(
            {
                "text/plain": "Playground(...)",
                "application/vnd.jupyter.widget-view+json": {"model_id": "1"},
            }
        ),
    ]
    fresh = [
        display({"text/plain": "<Figure>", "image/png": "BBBB"}, "execute_result"),
        display(
            {
                "text/plain": "Playground(...)",
                "application/vnd.jupyter.widget-view+json": {"model_id": "2"},
            }
        ),
    ]
    fresh[0]["execution_count"] = 1
    assert compare_outputs(fresh, stored, PATTERNS) is None


def test_sanitized_addresses_compare_equal():
    stored = [stream("<object at 0x7f00aa>\n")]
    assert compare_outputs([stream("<object at 0x55bb01>\n")], stored, PATTERNS) is None


def test_a_missing_or_extra_output_fails():
    stored = [stream("a\n"), display({"text/html": "<b>x</b>"})]
    assert "missing output fields" in compare_outputs([stream("a\n")], stored, PATTERNS)
    assert "unexpected output fields" in compare_outputs(
        stored + [stream("e\n", "stderr")], stored, PATTERNS
    )
    assert "2 outputs for 'text/html'" in compare_outputs(
        stored + [display({"text/html": "<b>x</b>"})], stored, PATTERNS
    )


def test_cell_options_follow_nbvals_markers_and_tags():
    ignored = nbformat.v4.new_code_cell("# NBVAL_IGNORE_OUTPUT\nprint(1)")
    raising = nbformat.v4.new_code_cell("1 / 0", metadata={"tags": ["raises-exception"]})
    skipped = nbformat.v4.new_code_cell("# NBVAL_SKIP\nslow()")
    marked_in_words = nbformat.v4.new_code_cell("# NBVAL_IGNORE_OUTPUT (random)\nprint(1)")
    assert not cell_options(ignored)["check"]
    assert cell_options(raising)["check_exception"] and cell_options(raising)["check"]
    assert cell_options(skipped)["skip"]
    assert cell_options(marked_in_words)["check"]  # nbval needs the marker alone on its line
