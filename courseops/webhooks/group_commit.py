"""Group commit: the threads of one process that store events at once share one commit.

An ack must be durable before its 2xx (a vendor does not resend an acked event), so each
one waits on PostgreSQL's commit flush, which costs more wall time than the request's
CPU (bench/README.md, webhook inbox). Under gunicorn's gthread workers the request
threads of a process queue their rows here; the first one to find no commit under way
leads: it writes every row queued so far in ONE `INSERT ... ON CONFLICT DO NOTHING
RETURNING` on its own connection, autocommitted, then wakes each waiter with its own
outcome. No batch waits on purpose: the next one is whatever queued during this commit.
A sync worker (one thread) always leads a batch of one, which is the plain INSERT.

Nobody is answered before the commit that holds its row: a failed statement stores
nothing (one statement is atomic) and every waiter of that batch gets the error, so its
request answers 5xx and the vendor retries.
"""

import threading
from collections.abc import Callable, Sequence

# Keeps the statement under SQLite's oldest limit of 999 parameters (13 per row).
MAX_BATCH = 64


class BatchFailed(Exception):
    """The batch holding this row was not committed; nothing of it was stored."""


class _Slot:
    __slots__ = ("done", "error", "key", "outcome", "row")

    def __init__(self, key, row):
        self.key, self.row = key, row
        self.done, self.outcome, self.error = False, None, None


class GroupCommit:
    """Hands keyed rows to `write(rows) -> {key: outcome}`, one call per batch.

    `write` gets rows with distinct keys (a repeated key in one batch is left to the next
    batch, where the first copy is already stored) and returns an outcome for each key it
    stored; a key missing from its answer gets None.
    """

    def __init__(self, write: Callable[[Sequence], dict]):
        self._write = write
        self._cond = threading.Condition()
        self._pending: list[_Slot] = []
        self._leading = False

    def submit(self, key, row):
        slot = _Slot(key, row)
        with self._cond:
            self._pending.append(slot)
        # A leader whose own row was left for a later batch (a repeated key, or past
        # MAX_BATCH) goes round again.
        while not slot.done:
            with self._cond:
                while self._leading and not slot.done:
                    self._cond.wait()
                if slot.done:
                    break
                self._leading = True
                batch = self._take()
            self._lead(batch)
        if slot.error is not None:
            raise BatchFailed("The batch holding this event was not committed.") from slot.error
        return slot.outcome

    def _take(self):
        """Up to MAX_BATCH queued rows of distinct keys, in arrival order."""
        batch, rest, keys = [], [], set()
        for slot in self._pending:
            if len(batch) < MAX_BATCH and slot.key not in keys:
                keys.add(slot.key)
                batch.append(slot)
            else:
                rest.append(slot)
        self._pending = rest
        return batch

    def _lead(self, batch):
        try:
            outcomes = self._write([slot.row for slot in batch])
        except BaseException as exc:
            for slot in batch:
                slot.error = exc
            if not isinstance(exc, Exception):
                raise
        else:
            for slot in batch:
                slot.outcome = outcomes.get(slot.key)
        finally:
            with self._cond:
                for slot in batch:
                    slot.done = True
                self._leading = False
                self._cond.notify_all()
