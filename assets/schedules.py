"""The exam office's daily log control, stepped over simulated days.

Each tick controls, for every replayed rehearsal, the next simulated working day that has not
been controlled yet; a trainer turns the schedule on and watches the days go by.
"""

import dagster as dg

from assets import runtime
from assets.partitions import scenario_partitions
from assets.resources import OutputFolder

CONTROL_ASSETS = ["daily_log_control_by_day"]


@dg.schedule(
    name="daily_log_control_schedule",
    cron_schedule="*/5 * * * *",
    target=CONTROL_ASSETS,
    description="Dagelijkse logcontrole of the exam office: "
    "one simulated working day per tick and rehearsal.",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def daily_log_control_schedule(
    context: dg.ScheduleEvaluationContext, output: OutputFolder
) -> list[dg.RunRequest] | dg.SkipReason:
    done = context.instance.get_materialized_partitions(dg.AssetKey("daily_log_control_by_day"))
    registered = set(context.instance.get_dynamic_partitions("sim_day"))
    requests = []
    for scenario in scenario_partitions.get_partition_keys():
        folder = output.for_scenario(scenario)
        try:
            days = runtime.control_days(folder)
        except FileNotFoundError:
            continue
        for day in days:
            key = dg.MultiPartitionKey({"scenario": scenario, "day": day})
            if day in registered and key not in done:
                requests.append(dg.RunRequest(run_key=f"{scenario}:{day}", partition_key=key))
                break
    if not requests:
        return dg.SkipReason("every replayed rehearsal's simulated working days have been controlled")
    return requests
