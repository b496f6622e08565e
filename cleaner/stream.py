"""`cleaner clean ... -o -`: kept documents as JSON lines on a stream, as they are decided."""
from __future__ import annotations

import os
from typing import BinaryIO

from .config import Config, ConfigError
from .outfolder import OutputFolderError, check_apart
from .pipeline import Cleaner
from .readers import InputError, check_inputs
from .writers import dumps


def run_to_stream(inputs: list[str], out: BinaryIO, config: Config | None = None, removed: str | None = None,
                  stdin: BinaryIO | None = None, progress=None) -> dict:
    """Clean `inputs` into a stream (`cleaner clean ... -o -`): each kept document as a JSON line
    on `out`, as it is decided; the removal log into the new file `removed` (none when None);
    returns the summary. Nothing else is written."""
    config = config or Config()
    if config.output.compress:
        raise ConfigError("output.compress applies to an output folder; to stdout, pipe to gzip or zstd")
    if removed is not None:
        if removed in ("", "-"):
            raise OutputFolderError("--removed needs a file name (the documents already go to stdout)")
        check_apart(removed, inputs, "the removal log", "--removed")
        if os.path.lexists(removed):
            raise OutputFolderError(f"the removal log {removed} exists: give a new file")
    check_inputs(inputs, config.input)
    o = config.output
    log_file = open(removed, "xb") if removed is not None else None
    try:
        with Cleaner(config, progress) as cleaner:
            for result in cleaner.clean(inputs, stdin):
                if log_file is not None:
                    log_file.write("".join(dumps(r.to_json()) + "\n" for r in result.removals).encode("utf-8"))
                if not result.dropped:
                    record = result.to_json(o.text_field, o.id_field, o.drop_fields)
                    out.write((dumps(record) + "\n").encode("utf-8"))
            out.flush()
            return cleaner.summary()
    except InputError:  # refused once read (stdin without the text field): no log is left behind
        if log_file is not None:
            log_file.close()
            os.unlink(removed)
            log_file = None
        raise
    finally:
        if log_file is not None:
            log_file.close()
