"""The KRS side of OKE: contract, ingest, lifecycle, OKE-log, store and reports."""

from oke_core import compiled, sqlite_memstats

compiled.install()  # before any per-message module is imported
sqlite_memstats.disable()  # before anything imports sqlite3
