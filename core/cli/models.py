"""`python -m core predict | export | serve`: use a model away from the dashboard."""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from functools import partial
from pathlib import Path

from core.data.preparation import guess_columns
from core.data.reading import read_file
from core.inference.prediction import (LABELS_COLUMN, NO_TEXT, NOTE_COLUMN, alongside, is_multilabel, load_run_model,
                                       model_records, predict_every_row, predict_table, without_text)
from core.models.bundle import KINDS, run_zip
from core.models.loading import load_model
from core.store.store import Store
from core.wording import count, listing


# What a multi-label model's line says for a text none of whose labels reached its threshold.
NO_LABEL = "(no label)"


def cmd_predict(args: argparse.Namespace) -> int:
    if not args.input and not args.texts:
        raise ValueError("Give the texts to classify after the options, or a table with --input FILE --text-col "
                         "COLUMN.")
    model = load_model(args.model) if args.model else load_run_model(Store(), args.run)
    if args.input:
        return predict_file(model, args)
    if args.json:
        records = model_records(model, model.predict_proba(args.texts))
        print(json.dumps([{"text": t, **r} for t, r in zip(args.texts, records)], ensure_ascii=False))
    else:
        several = is_multilabel(model)
        for r in predict_table(model, args.texts).to_dict("records"):
            print(f"{r[LABELS_COLUMN] or NO_LABEL}\t{r['text']}" if several
                  else f"{r['predicted']}\t{r['confidence']:.3f}\t{r['text']}")
    return 0


def predict_file(model, args: argparse.Namespace) -> int:
    """The input table with the predicted label and its probability (a multi-label model's chosen labels, joined by
    "|") and every class's probability added, as CSV."""
    read = read_file(Path(args.input))
    for problem in read.problems():
        print(f"warning: {problem}", file=sys.stderr)
    table = read.table
    column = args.text_col or guess_columns(table)[0]
    if column not in table.columns:
        raise ValueError(f"'{args.input}' has no column '{column}'. Its columns: "
                         f"{listing([str(c) for c in table.columns], 20)}. Name one with --text-col.")
    if not args.text_col:
        print(f"Texts from the column '{column}' (choose another with --text-col).", file=sys.stderr)
    # As on the Predict page: a row without text gets no label rather than a guess about nothing, and keeps its place.
    empty = int(without_text(table[column]).sum())
    if empty:
        print(f"{count(empty, 'row')} without text: no prediction, '{NO_TEXT}' in the {NOTE_COLUMN} column.",
              file=sys.stderr)
    out = alongside(table, predict_every_row(table[column], partial(predict_table, model)).drop(columns="text"))
    if args.output:
        # With a byte-order mark, so Excel reads the file as UTF-8.
        Path(args.output).write_bytes(out.to_csv(index=False).encode("utf-8-sig"))
        print(f"Wrote {count(len(out), 'row')} with their predictions to {args.output}.", file=sys.stderr)
    else:
        out.to_csv(sys.stdout, index=False)
    return 0


def file_size(n_bytes: int) -> str:
    """'812 bytes', '45.3 kB', '3.2 MB', '1.4 GB': in the decimal units file managers show."""
    if n_bytes < 1000:
        return count(n_bytes, "byte")
    size, unit = n_bytes / 1000, "kB"
    for larger in ("MB", "GB"):
        if size < 999.95:  # else it would show as 1000.0
            break
        size, unit = size / 1000, larger
    return f"{size:.1f} {unit}"


def cmd_export(args: argparse.Namespace) -> int:
    made = run_zip(Store(), args.run, args.format)
    target = Path(args.output) if args.output else Path(made.name)
    if target.is_dir():
        target = target / made.name
    shutil.copyfile(made, target)
    print(f"Wrote {target} ({file_size(made.stat().st_size)}).")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from core.inference.serving import serve  # the web server's packages load only for this command

    serve(args.model, host=args.host, port=args.port, max_texts=args.max_texts, max_body_mb=args.max_body_mb,
          max_chars=args.max_chars)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    predict = sub.add_parser("predict", help="predict labels with a run's model or a downloaded one, for texts given "
                             "here or every row of a table")
    source = predict.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", type=int, help="a finished run's id")
    source.add_argument("--model", help="a downloaded model: its .zip (bundle or ONNX) or the unpacked folder")
    predict.add_argument("--input", help="a table (CSV, Excel, JSON Lines, Parquet, ...) whose rows to classify; "
                         "writes it back as CSV with the predictions added")
    predict.add_argument("--text-col", help="the column of --input holding the texts (guessed when left out)")
    predict.add_argument("--output", help="write the CSV here instead of to the screen")
    predict.add_argument("--json", action="store_true", help="for texts given here: JSON with every probability "
                         "(and, for a model that chooses several labels per text, the list of labels and their "
                         "thresholds)")
    predict.add_argument("texts", nargs="*")
    predict.set_defaults(func=cmd_predict)
    export = sub.add_parser("export", help="write a run's model as one ZIP file: the model bundle, or ONNX")
    export.add_argument("--run", type=int, required=True)
    export.add_argument("--format", choices=KINDS, default="bundle",
                        help="bundle: the model as trained (safetensors); onnx: for ONNX Runtime, checked to give the "
                        "same probabilities on the test split")
    export.add_argument("--output", help="file or folder to write to (default: the current folder)")
    export.set_defaults(func=cmd_export)
    serve = sub.add_parser("serve", help="answer predictions over HTTP: POST /predict, GET /health, docs at /docs")
    serve.add_argument("--model", required=True, help="a downloaded model (.zip) or its unpacked folder")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--max-texts", type=int, default=1000, help="most texts per request")
    serve.add_argument("--max-chars", type=int, default=1_000_000, help="most characters per request, all texts together")
    serve.add_argument("--max-body-mb", type=float, default=10.0, help="largest request body, in MB")
    serve.set_defaults(func=cmd_serve)
