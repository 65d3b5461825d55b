"""`python -m core inspect FILE`: what the Data page would read from a file, and what it would say about it."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.cli.choices import RANDOM_SPLIT, choose_columns
from core.data.labels import LabelOptions
from core.data.preparation import validate
from core.data.reading import ENCODINGS, SEPARATORS, ReadResult, describe, read_file
from core.errors import DataError
from core.wording import count

SEPARATOR_NAMES = {name: delimiter for delimiter, name in SEPARATORS.items()}


def inspect(args: argparse.Namespace) -> int:
    """Exit 0 when rows were read, 1 when none were (the reasons are printed), 2 when the file cannot be read."""
    path = Path(args.file)
    try:
        result = read_file(path, encoding=args.encoding, sheet=args.sheet, header=args.header,
                           delimiter=SEPARATOR_NAMES.get(args.separator, args.separator))
        report = _report(path, result, args)
    except DataError as exc:
        if args.json:
            print(json.dumps({"file": path.name, "error": str(exc)}))
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print(report)
    return 0 if result.rows else 1


def _report(path: Path, result: ReadResult, args: argparse.Namespace) -> dict:
    report = {"file": path.name, "bytes": path.stat().st_size, "read_as": result.kind, "encoding": result.encoding,
              "separator": SEPARATORS.get(result.delimiter, result.delimiter), "header": result.header,
              "sheet": result.sheet, "sheets": result.sheets, "rows": result.rows, "columns": list(result.table.columns),
              "left_out": len(result.skipped), "problems": result.problems(),
              "left_out_lines": result.skipped_table().to_dict("records")}
    if not result.rows:
        return report
    text_col, label_col, split_col = choose_columns(result.table, path.name, args.text_column, args.label_column,
                                                    args.split_column)
    findings = validate(result.table, text_col, label_col, split_col, LabelOptions(casefold=args.casefold))
    report.update(text_column=text_col, label_column=label_col, split_column=split_col,
                  findings=[{"kind": f.kind, "level": f.level, "message": f.message, "fix": f.fix} for f in findings])
    return report


def _print(report: dict) -> None:
    how = [report["read_as"]] + [v for v in (report["encoding"] and describe(report["encoding"]),
                                             report["separator"] and f"separated by {report['separator']}",
                                             report["sheet"] and f"sheet '{report['sheet']}'") if v]
    print(f"{report['file']}: {count(report['rows'], 'row')} and {count(len(report['columns']), 'column')} read as "
          f"{', '.join(how)}" + (f"; {count(report['left_out'], 'line')} left out" if report["left_out"] else "") + ".")
    for problem in report["problems"]:
        print(f"  - {problem}")
    if "text_column" not in report:
        print("Nothing usable was read.")
        return
    split = f", split column '{report['split_column']}'" if report["split_column"] else ""
    label = f"'{report['label_column']}'" if report["label_column"] else "none found"
    print(f"Columns: texts '{report['text_column']}', labels {label}{split}.")
    for finding in report["findings"]:
        fix = f" [fix: {finding['fix']}]" if finding["fix"] else ""
        print(f"{finding['level']}: {finding['message']}{fix}")
    if not report["findings"]:
        print("No problems found.")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("inspect", help="what would be read from a file, and its quality report",
                            description="Print what is read from FILE (encoding, separator, rows read and left out "
                                        "with reasons, guessed columns) and the quality findings. Exits 0 when rows "
                                        "were read, 1 when none were, 2 when the file cannot be read.")
    parser.add_argument("file")
    parser.add_argument("--json", action="store_true", help="everything as one JSON object")
    parser.add_argument("--encoding", help=f"override the detected encoding, e.g. {', '.join(list(ENCODINGS)[:5])}")
    parser.add_argument("--separator", choices=sorted(SEPARATOR_NAMES), help="override the detected separator")
    header = parser.add_mutually_exclusive_group()
    header.add_argument("--header", dest="header", action="store_true", default=None,
                        help="the first row holds column names")
    header.add_argument("--no-header", dest="header", action="store_false", help="the first row is data")
    parser.add_argument("--sheet", help="the Excel sheet to read (default: the first)")
    parser.add_argument("--text-column", "--text-col", help="column with the texts (guessed when left out)")
    parser.add_argument("--label-column", "--label-col", help="column with the labels (guessed when left out)")
    parser.add_argument("--split-column", "--split-col", metavar="NAME",
                        help="column with the user's train / validation / test split (default: the first such "
                             f"column found); '{RANDOM_SPLIT}' for a random split")
    parser.add_argument("--casefold", action="store_true", help="treat labels differing only in case as one")
    parser.set_defaults(func=inspect)
