"""The `cleaner` command: option parsing and printing only; the work is in the library."""
from __future__ import annotations

import errno
import logging
import os
import signal
import sys

import click

from . import __version__, stop
from .stop import Terminated
from .config import Config, ConfigError
from .pipeline import run
from .review import dry_run as dry_run_into
from .review import write_report
from .stream import run_to_stream
from .readers import KINDS, ROUTINE_SKIPS, InputError
from .dedup.store import IndexBusy, IndexDatabase, IndexMismatch
from .report import Progress, explain_document, format_report
from .outfolder import OutputFolderError
from .writers import NotInOutput, ResumeMismatch, resolve_id, restore_document

EXIT_SKIPPED = 1


EXIT_REFUSED = 2  # the command line, the config or the output folder must change
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a pipe closed under a writer
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


class UsageProblem(click.UsageError):
    """A problem in how the command was called: prints the usage (exit code 2)."""


class Refused(click.ClickException):
    """A problem the user can fix (settings, inputs, output folder, index): a message, no usage."""

    exit_code = EXIT_REFUSED


class Failed(click.ClickException):
    """The run could not finish (a file could not be written, the disk is full): exit code 1."""

    exit_code = 1


def _terminate(signum, frame) -> None:
    stop.ask(Terminated)  # handled like Ctrl-C: stop, clean up, say how to continue


def _interrupt(signum, frame) -> None:
    stop.ask(KeyboardInterrupt)


def _io_message(e: OSError, output: str) -> str:
    path = e.filename or f"a file in {output}"
    if e.errno in DISK_FULL:
        resumable = os.path.exists(os.path.join(output, ".checkpoint.json"))
        then = "continue with --resume" if resumable else "run again (with --overwrite)"
        return f"the disk is full: cannot write {path}; free some space and {then}"
    return f"cannot write {path}: {e.strerror or e}"


def _with_flags(message: str, overrides: dict) -> str:
    """A settings error in the words of the command line: each setting the message names that
    a flag set is followed by that flag ("dedup.documents.threshold (--doc-threshold) must ...")."""
    flags = {key: "--" + param.replace("_", "-") for param, key in _FLAG_SETTINGS.items()
             if overrides.get(key) is not None}
    for key, flag in flags.items():
        message = message.replace(key, f"{key} ({flag})", 1)
    return message


_FLAG_SETTINGS = {  # flag (without --) -> the setting it sets, for messages
    "doc_threshold": "dedup.documents.threshold", "passage_min_words": "dedup.passages.min_words",
    "passage_coverage": "dedup.passages.min_coverage", "keep": "dedup.keep", "workers": "run.workers",
    "limit": "input.limit", "output_text_field": "output.text_field", "output_id_field": "output.id_field",
    "kind": "input.kind", "engine": "run.engine",
}


def _setup_logging(quiet: bool) -> None:
    """Log to the current stderr (replacing the handler of an earlier call in this process)."""
    logger = logging.getLogger("cleaner")
    for h in [h for h in logger.handlers if getattr(h, "_cleaner_cli", False)]:
        logger.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("cleaner: %(message)s"))
    handler._cleaner_cli = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.ERROR if quiet else logging.WARNING)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cleaner")
def main() -> None:
    """Turn raw web scrapes into clean, deduplicated text, with a log of every removal.

    \b
    Example:
      cleaner clean samples/ -o out/
    """


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", required=True,
              help="Output folder (created if missing); - writes the kept documents as JSONL to stdout.")
@click.option("--removed", "removed_file", metavar="FILE",
              help="With -o -: write the removal log to this new file (default: no log).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "text"]), default="jsonl", show_default=True,
              help="jsonl: documents.jsonl; text: one cleaned .txt per document.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="TOML file with settings (see README); flags override it.")
@click.option("--kind", type=click.Choice(KINDS),
              help="Read every input as this kind instead of detecting it.")
@click.option("--text-field", help="JSONL field with plain text [text].")
@click.option("--html-field", help="JSONL field with HTML [html].")
@click.option("--id-field", help="JSONL field with the record id [id].")
@click.option("--output-text-field", help="documents.jsonl field for the cleaned text [text].")
@click.option("--output-id-field", help="documents.jsonl field for the id [id].")
@click.option("--drop-fields", metavar="A,B",
              help="Input record fields not to pass through to documents.jsonl (all others are kept).")
@click.option("--limit", type=int, help="Clean only the first N documents (a trial run).")
@click.option("--dry-run", is_flag=True, help="Write only summary.json and report.html to OUTPUT.")
@click.option("--compress", type=click.Choice(["gzip", "zstd"]),
              help="Compress documents.jsonl and removed.jsonl (.gz or .zst).")
@click.option("--doc-threshold", type=float, help="Jaccard similarity for near-duplicate documents [0.8].")
@click.option("--passage-min-words", type=int, help="Shortest duplicate passage, in words [8].")
@click.option("--passage-coverage", type=float,
              help="Share of a sentence that must be copied for it to be a duplicate [0.5].")
@click.option("--keep", metavar="POLICY",
              help="Which copy of a duplicate document survives: first (input order) [default], longest, "
                   "newest, oldest, or field:NAME (lowest value of a JSONL field, e.g. field:rank).")
@click.option("--no-dedup", is_flag=True, help="Keep duplicates (documents and passages).")
@click.option("--no-passages", is_flag=True, help="Remove duplicate documents but not passages.")
@click.option("--no-boilerplate", is_flag=True, help="Keep boilerplate.")
@click.option("--workers", type=int, help="Processes for per-document work [0: one per core].")
@click.option("--engine", type=click.Choice(["local", "ray"]),
              help="local: a process pool [default]; ray: Ray Data (pip install 'cleaner[ray]').")
@click.option("--ray-address", help="A Ray cluster to join (default: start Ray on this machine).")
@click.option("--index", "index_path",
              help="SQLite index kept across runs: drop what earlier runs kept, and add what this run keeps.")
@click.option("--resume", is_flag=True,
              help="Continue a killed run into the same OUTPUT (same inputs and settings): nothing written twice.")
@click.option("--overwrite", is_flag=True,
              help="Replace the earlier run in OUTPUT (only the files its manifest lists are removed).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def clean(inputs, output, removed_file, fmt, config_file, kind, text_field, html_field, id_field, output_text_field,
          output_id_field, drop_fields, limit, dry_run, compress, doc_threshold,
          passage_min_words, passage_coverage, keep, no_dedup, no_passages, no_boilerplate, workers, engine, ray_address,
          index_path, resume, overwrite, quiet):
    """Clean INPUTS (files, folders, globs, or - for stdin) into the OUTPUT folder.

    Writes documents.jsonl (or .txt files), removed.jsonl (every removed span, its reason and,
    for a duplicate, what it duplicates) and summary.json. Exit code 0: all inputs cleaned;
    1: some inputs were skipped (listed in summary.json; a WARC's non-HTML records and non-200
    responses do not count); 2: usage error.

    \b
    Examples:
      cleaner clean samples/ -o out/
      cleaner clean samples/ -o out/ --overwrite              # replace the run already in out/
      cleaner clean 'crawl/**/*.html' -o out/ --format text --workers 0
      cat pages.jsonl | cleaner clean - --kind jsonl --text-field body -o out/
      cleaner clean crawl.jsonl -o out/ --text-field content --output-text-field content --drop-fields raw_html
      cleaner clean crawl-day2/ -o out2/ --index corpus.db   # drop what earlier runs kept
      cleaner clean feeds.jsonl -o out/ --keep field:rank     # the copy with the lowest rank survives
      cleaner clean crawl.warc.gz -o out/ --resume            # after a killed run
    """
    _setup_logging(quiet)
    overrides = {
        "input.kind": kind, "input.text_field": text_field, "input.html_field": html_field,
        "input.id_field": id_field, "dedup.documents.threshold": doc_threshold,
        "input.limit": limit, "output.compress": compress, "output.text_field": output_text_field, "output.id_field": output_id_field,
        "output.drop_fields": [f.strip() for f in drop_fields.split(",") if f.strip()] if drop_fields else None,
        "dedup.passages.min_words": passage_min_words, "dedup.passages.min_coverage": passage_coverage,
        "dedup.keep": keep,
        "dedup.enabled": False if no_dedup else None, "dedup.passages.enabled": False if no_passages else None,
        "boilerplate.enabled": False if no_boilerplate else None, "run.workers": workers,
        "run.index": index_path, "run.engine": engine, "run.ray_address": ray_address,
    }
    if resume and overwrite:
        raise UsageProblem("--resume continues the run in OUTPUT, --overwrite replaces it: give one of them")
    to_stdout = output == "-"
    if to_stdout and (fmt != "jsonl" or resume or overwrite or compress):
        raise UsageProblem("-o - writes plain JSONL to stdout (pipe it to gzip or zstd): --format text, --compress, "
                           "--resume and --overwrite need an output folder")
    if compress and fmt != "jsonl":
        raise UsageProblem("--compress applies to JSONL output (documents.jsonl, removed.jsonl), not --format text")
    if dry_run and (to_stdout or resume or index_path):
        raise UsageProblem("--dry-run writes a summary and a report into an output folder; it does not go "
                           "with -o -, --resume or --index")
    if removed_file and not to_stdout:
        raise UsageProblem("--removed goes with -o -: an output folder holds its own removed.jsonl")
    progress = Progress(sys.stderr) if not quiet and sys.stderr.isatty() else None
    stop.reset()
    previous = signal.signal(signal.SIGTERM, _terminate), signal.signal(signal.SIGINT, _interrupt)
    try:
        config = Config.load(config_file).with_overrides(overrides)
        if to_stdout:
            summary = run_to_stream(list(inputs), sys.stdout.buffer, config, removed_file, progress=progress)
        elif dry_run:
            summary = dry_run_into(list(inputs), output, config, fmt, progress=progress, overwrite=overwrite)
        else:
            summary = run(list(inputs), output, config, fmt, progress=progress, resume=resume, overwrite=overwrite)
    except BrokenPipeError:  # the reader of stdout stopped (| head): as other tools do, stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_BROKEN_PIPE)
    except ConfigError as e:
        raise Refused(_with_flags(str(e), overrides)) from None
    except (InputError, IndexBusy, IndexMismatch, ResumeMismatch, OutputFolderError) as e:
        raise Refused(str(e)) from None
    except OSError as e:
        raise Failed(_io_message(e, output)) from None
    except (KeyboardInterrupt, Terminated) as e:
        if progress:
            progress.done()
        stopped = "interrupted" if isinstance(e, KeyboardInterrupt) else "terminated"
        if to_stdout or dry_run:
            click.echo(f"cleaner: {stopped}", err=True)
        else:
            click.echo(f"cleaner: {stopped}; {output} keeps what the last checkpoint holds: run the same command "
                       f"with --resume to continue", err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        # Exit now: an interrupted process pool can leave a thread that the interpreter's exit
        # would wait for; the output is as the last checkpoint left it, workers end with us.
        os._exit(EXIT_INTERRUPTED if isinstance(e, KeyboardInterrupt) else EXIT_TERMINATED)
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
        if progress:
            progress.done()
    if not quiet:
        click.echo(format_report(summary), err=True)
        click.echo(f"output: {'stdout' if to_stdout else output}", err=True)
    if set(summary["skipped"]["by_reason"]) - ROUTINE_SKIPS:
        sys.exit(EXIT_SKIPPED)


@main.group()
def index() -> None:
    """Inspect a persistent index (see `cleaner clean --index`).

    \b
    Example:
      cleaner index stats corpus.db
    """


@index.command("stats")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def index_stats(path):
    """Print what the index at PATH holds: documents, passages, site lines, settings.

    \b
    Example:
      cleaner index stats corpus.db
    """
    import json

    try:
        db = IndexDatabase.open_read_only(path)
    except (IndexBusy, IndexMismatch) as e:
        raise Refused(str(e)) from None
    try:
        click.echo(json.dumps(db.stats(), indent=2))
    except IndexMismatch as e:
        raise Refused(str(e)) from None
    finally:
        db.close()


@main.command()
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.argument("doc_id")
@click.option("--removed-only", is_flag=True, help="Show only the removed spans and their reasons.")
@click.option("--color/--no-color", default=None,
              help="Colour the marks, also in a pipe (less -R) [default: when a terminal].")
def explain(out_dir, doc_id, removed_only, color):
    """Show document DOC_ID (or the one id it starts) of a run's OUT_DIR with every removed span
    marked and its reason.

    Removed text is shown [-like this-]{reason}; a duplicate also names the span it repeats
    (doc_id:start-end). Built from the output files alone.

    \b
    Example:
      cleaner clean samples/ -o out/
      cleaner explain out/ 003_9bcfc765aa3e11de.txt --removed-only
    """
    color = sys.stdout.isatty() if color is None else color
    try:
        text = explain_document(out_dir, doc_id, color=color, removed_only=removed_only)
    except (NotInOutput, OutputFolderError) as e:
        raise Refused(str(e)) from None
    click.echo(text, color=color)  # --color: colours in a pipe too (less -R)


@main.command()
@click.argument("out_dir", type=click.Path(file_okay=False))
def report(out_dir):
    """Write OUT_DIR/report.html: one self-contained page to review what the run removed (figures
    per stage and reason, per site, the largest duplicate clusters, a random sample of each
    reason in its context, not-article pages, and explain views).

    \b
    Example:
      cleaner clean samples/ -o out/ && cleaner report out/
    """
    try:
        path = write_report(out_dir)
    except (NotInOutput, OutputFolderError) as e:
        raise Refused(str(e)) from None
    except OSError as e:
        raise Failed(_io_message(e, out_dir)) from None
    click.echo(path)


@main.command()
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.argument("doc_id")
def restore(out_dir, doc_id):
    """Print document DOC_ID's (or the one id it starts) input text, rebuilt from OUT_DIR: the kept text with every
    removed span put back (for HTML, the text extracted from the page).

    \b
    Example:
      cleaner restore out/ 003_9bcfc765aa3e11de.txt > original.txt
    """
    try:
        text = restore_document(out_dir, resolve_id(out_dir, doc_id))
    except (NotInOutput, OutputFolderError) as e:
        raise Refused(str(e)) from None
    sys.stdout.buffer.write(text.encode("utf-8", "surrogatepass"))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
