"""``python -m mlp_lib.exercises``: print the table of checks by notebook, as Markdown.

``python -m mlp_lib.exercises --update notebooks/AUTHORING.md`` writes it into that file instead,
between its two marker lines (a test fails when the file and the registry differ).
"""

import argparse
import sys
from pathlib import Path

from ..atomic import write_bytes_atomically
from .registry import markdown_table, replace_table


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m mlp_lib.exercises",
        description="Print the table of the checks in mlp_lib.exercises, by notebook.",
    )
    parser.add_argument(
        "--update",
        metavar="FILE",
        type=Path,
        help="write the table into FILE (notebooks/AUTHORING.md), between its marker lines",
    )
    args = parser.parse_args(argv)
    if args.update is None:
        print(markdown_table(), end="")
        return 0
    try:
        text = args.update.read_text(encoding="utf-8")
        updated = replace_table(text)
    except (OSError, ValueError) as error:
        print(f"python -m mlp_lib.exercises: {args.update}: {error}", file=sys.stderr)
        return 1
    if updated != text:
        write_bytes_atomically(args.update, updated.encode("utf-8"))
    print(f"{args.update}: {'table updated' if updated != text else 'table already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
