"""Checking an import's chunks in a second thread, one or two chunks ahead of the thread that
writes them to the database.

SQLite and psycopg release the GIL while the database works, so on two cores the checking
of chunk n+1 (Python) overlaps the storing of chunk n (C), and an import costs about as long
as the slower of the two rather than their sum.
"""

from __future__ import annotations

import gc
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.utils import translation

_lock = threading.Lock()
_pauses = 0
_was_enabled = True


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while millions of short-lived lists and tuples are
    made: its full collections would walk them again and again (a quarter of the checking
    time at a million rows). Nothing an import makes forms reference cycles. Counting the
    pauses keeps two imports in one process from re-enabling it under each other."""
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
        _pauses += 1
        gc.disable()
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()


class CheckedChunks:
    """Runs ``check`` over the chunks in a worker thread, up to ``ahead`` chunks ahead of the
    consumer. The worker never touches the database. An exception in it is raised in the
    consumer; closing stops it."""

    def __init__(self, source: Iterator, check: Callable, ahead: int = 2):
        self.queue: queue.Queue = queue.Queue(maxsize=ahead)
        self.stop = threading.Event()
        self.busy = self.cpu = 0.0
        language = translation.get_language()
        self.thread = threading.Thread(
            target=self._work, args=(source, check, language), daemon=True
        )
        self.thread.start()

    def _work(self, source: Iterator, check: Callable, language) -> None:
        with translation.override(language):
            try:
                while True:
                    started, started_cpu = time.perf_counter(), time.thread_time()
                    rows = next(source, None)
                    if rows is None:
                        break
                    checked = check(rows)
                    self.busy += time.perf_counter() - started
                    self.cpu += time.thread_time() - started_cpu
                    if not self._put(("chunk", checked)):
                        return
            except BaseException as exc:  # handed to the consumer
                self._put(("error", exc))
                return
        self._put(("done", None))

    def _put(self, item) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self):
        while True:
            kind, value = self.queue.get()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
