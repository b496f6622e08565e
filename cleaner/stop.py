"""A stop asked for by a signal (Ctrl-C, SIGTERM). The CLI's handlers raise at once and note
the stop here; the run raises it again at its next document, because Python drops an exception
raised inside a __del__ or a garbage-collector callback (seen under load: an interrupted run
went on to the end and exited 0)."""
from __future__ import annotations


class Terminated(BaseException):
    """SIGTERM: stop as Ctrl-C does."""


_asked: type[BaseException] | None = None


def ask(stop: type[BaseException]) -> None:
    """Note the stop and raise it (from a signal handler)."""
    global _asked
    _asked = stop
    raise stop()


def check() -> None:
    """Raise the stop asked for, if one was (a first raise may have been lost)."""
    if _asked is not None:
        raise _asked()


def reset() -> None:
    global _asked
    _asked = None
