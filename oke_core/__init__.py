"""The KRS side of OKE: contract, ingest, lifecycle, OKE-log, store and reports."""

from oke_core import compiled

compiled.install()  # before any per-message module is imported
