"""The walkthrough for one association of a rehearsal: the one function `oke explain` and the
assets call (trace the result, find an example of the other variant, render)."""

from __future__ import annotations

from pathlib import Path

from oke_core.pages.examples import counterpart
from oke_core.pages.walkthrough import render_walkthrough


def explain(
    store_or_url: object, association_id: str, out_dir: Path | str, *, with_counterpart: bool = True
) -> Path:
    """Render uitleg-<association_id>.html; LookupError when the store does not know the association."""
    from oke_core.reports import results_rows, trace
    from oke_core.store import Store

    store = Store.open(store_or_url) if isinstance(store_or_url, str) else store_or_url
    chosen, other = counterpart(results_rows(store), association_id)  # type: ignore[arg-type]
    if chosen is None:
        raise LookupError(f"association {association_id!r} has no result in this KRS store")
    main = trace(store, association_id)  # type: ignore[arg-type]
    side = trace(store, other) if with_counterpart and other else None  # type: ignore[arg-type]
    return render_walkthrough(main, side, out_dir)
