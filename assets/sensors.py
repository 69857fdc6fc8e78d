"""The inbox sensor: a vendor drops a ``.jsonl`` of flow-3 messages; it is ingested and reported.

Files directly in the inbox go to the default rehearsal; files in ``inbox/<scenario>/`` to that
scenario. The cursor remembers each file's size and modification time, and the run key carries
a content hash, so a file is processed once unless it changes.
"""

import hashlib
import json
from pathlib import Path

import dagster as dg

from assets.partitions import scenario_partitions
from assets.resources import Inbox

INBOX_RUN_ASSETS = ["vendor_delivery", "oke_log", "daily_log_control", "compliance_report"]


def _pending(inbox: Inbox) -> list[tuple[str, Path]]:
    root = Path(inbox.directory)
    if not root.is_dir():
        return []
    found = [(inbox.default_scenario, p) for p in root.glob("*.jsonl")]
    found += [(p.parent.name, p) for p in root.glob("*/*.jsonl")]
    return sorted((s, p) for s, p in found if p.is_file())


@dg.sensor(
    name="vendor_inbox_sensor",
    minimum_interval_seconds=15,
    target=INBOX_RUN_ASSETS,
    description="Watches the inbox folder for vendor .jsonl deliveries of flow-3 messages.",
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def vendor_inbox_sensor(context: dg.SensorEvaluationContext, inbox: Inbox) -> dg.SensorResult:
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    known = set(scenario_partitions.get_partition_keys())
    requests: list[dg.RunRequest] = []
    skipped: list[str] = []
    for scenario, path in _pending(inbox):
        stat = path.stat()
        stamp = f"{stat.st_size}:{stat.st_mtime_ns}"
        key = str(path)
        if seen.get(key) == stamp:
            continue
        seen[key] = stamp
        if scenario not in known:
            skipped.append(f"{path}: no scenario named {scenario!r} (known: {', '.join(sorted(known))})")
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        requests.append(
            dg.RunRequest(
                run_key=f"{scenario}:{path.name}:{digest}",
                partition_key=scenario,
                run_config=dg.RunConfig(ops={"vendor_delivery": {"config": {"path": str(path.resolve())}}}),
                tags={"oke/inbox-file": path.name},
            )
        )
    for reason in skipped:
        context.log.warning(reason)
    return dg.SensorResult(
        run_requests=requests,
        cursor=json.dumps(seen, sort_keys=True),
        skip_reason=None if requests else ("; ".join(skipped) or "no new deliveries in the inbox"),
    )
