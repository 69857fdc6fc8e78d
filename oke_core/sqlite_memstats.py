"""Switch off SQLite's memory statistics before the ``sqlite3`` module starts the library.

With them on (SQLite's default), every ``sqlite3_malloc`` and ``sqlite3_free`` takes a global
mutex to keep a running total. Bulk ingest makes about forty such calls per message, and the
locking came to about 3 % of all instructions (callgrind: 250 300 -> 243 100 per message). The
totals feed only ``sqlite3_memory_used``, ``sqlite3_status`` and the heap limits, which KRS does
not use. ``SQLITE_CONFIG_MEMSTATUS`` can only be set before SQLite initialises, and the
``sqlite3`` module initialises it on import without offering the setting, so it is set here
through ``ctypes`` when ``oke_core`` is imported first.

Nothing else changes: where ``sqlite3`` was imported before ``oke_core`` (e.g. inside Dagster),
where the library cannot be found, or with ``OKE_SQLITE_MEMSTATUS=1``, SQLite keeps its default.
"""

from __future__ import annotations

import os
import sys

SQLITE_CONFIG_MEMSTATUS = 9
SQLITE_OK = 0
#: The shared library the ``_sqlite3`` extension links against on Linux (Debian, pyenv builds).
LIBRARY = "libsqlite3.so.0"

#: What ``disable()`` did, for ``describe()`` (benchmarks print it).
state = "not tried"


def disable() -> str:
    """Turn the statistics off if SQLite has not started yet; returns what happened, in words."""
    global state
    if os.environ.get("OKE_SQLITE_MEMSTATUS") == "1":
        state = "on (OKE_SQLITE_MEMSTATUS=1)"
    elif "_sqlite3" in sys.modules:
        state = "on (sqlite3 was imported before oke_core)"
    else:
        import ctypes  # only here: about 5 ms at start-up, for nothing when SQLite already started

        try:
            lib = ctypes.CDLL(LIBRARY)
        except OSError:
            state = f"on ({LIBRARY} not found)"
        else:
            rc = lib.sqlite3_config(SQLITE_CONFIG_MEMSTATUS, ctypes.c_int(0))
            state = "off" if rc == SQLITE_OK else f"on (sqlite3_config returned {rc})"
    return state


def describe() -> str:
    return f"SQLite memory statistics {state}"
