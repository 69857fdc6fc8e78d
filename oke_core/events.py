"""KRS-side events (INTERFACES.md section 3): cut scores, inspection, complaints, appeals, early vaststelling.

Each handler records the event in the OKE-log (with the whole event, so a log replay can redo it),
updates the facts on the result and lets the lifecycle settle. Anything that does not fit (unknown
association or case, a complaint after establishment, an invalid cut score) is logged as an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from oke_core.grading import CutScoreError, check_cut_score
from oke_core.lifecycle import ESTABLISHED, PENDING, Status

if TYPE_CHECKING:
    from oke_core.ingest import Ingestor

EVENT_TYPES = (
    "cut_score_released",
    "inspection_requested",
    "complaint_filed",
    "complaint_decided",
    "appeal_filed",
    "appeal_decided",
    "early_establishment",
    "exception_approved",
    "result_withdrawn",
)


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode()


def _error(ing: Ingestor, at: str, event: dict[str, Any], rule: str, reason: str) -> bool:
    ing.log.append(
        at,
        "error",
        "KRS",
        rule=rule,
        message_id=event.get("event_id"),
        association_id=event.get("association_id"),
        reason=reason,
    )
    return False


def apply(ing: Ingestor, event: dict[str, Any], at: str) -> bool:
    """Dispatch one event; returns False when it could not be applied (the log says why)."""
    etype = event.get("type")
    actor = str(
        event.get("decided_by")
        or event.get("released_by")
        or ("student" if "filed" in str(etype) or etype == "inspection_requested" else "KRS")
    )
    ing.log.append(
        at,
        "event",
        actor,
        rule=str(etype),
        message_id=event.get("event_id"),
        association_id=event.get("association_id"),
        after=event.get("outcome"),
        detail=_dumps(event),
    )
    handler = HANDLERS.get(str(etype))
    if handler is None:
        return _error(
            ing,
            at,
            event,
            "unknown-event-type",
            f"event type {etype!r} is not one of {', '.join(EVENT_TYPES)}",
        )
    return handler(ing, event, at)


#: Case status of a complaint or appeal filed when the result's state does not admit it
#: ("niet-ontvankelijk"); ``rejected`` is how older stores wrote it (read the same way).
INADMISSIBLE = frozenset({"inadmissible", "rejected"})


def _not_admissible(ing: Ingestor, event: dict[str, Any], at: str, rule: str, reason: str) -> bool:
    """The case is kept (the report counts it), the result does not move; one error says why."""
    ing.cases[event["case_id"]]["status"] = "inadmissible"
    return _error(ing, at, event, rule, reason)


def _record(ing: Ingestor, event: dict[str, Any], at: str):  # type: ignore[no-untyped-def]
    aid = event.get("association_id")
    rec = ing.results.get(aid) if isinstance(aid, str) else None
    return rec


def cut_score_released(ing: Ingestor, event: dict[str, Any], at: str) -> bool:
    evid = event.get("exam_version_id")
    if not isinstance(evid, str) or (version := ing.planning.exam_versions.get(evid)) is None:
        return _error(ing, at, event, "unknown-exam-version", f"exam version {evid} is not in the planning")
    cut = event.get("cut_score")
    problem = None
    try:
        if not isinstance(cut, int) or isinstance(cut, bool):
            raise CutScoreError(f"cut score {cut!r} is not a whole number")
        check_cut_score(cut, version.max_raw_score)
    except CutScoreError as exc:
        problem = str(exc)
    ing.cut_scores[evid] = {
        "exam_version_id": evid,
        "cut_score": cut if isinstance(cut, int) else -1,
        "max_raw_score": version.max_raw_score,
        "released_at": at,
        "released_by": str(event.get("released_by") or ""),
        "valid": problem is None,
        "problem": problem,
        "event_id": str(event.get("event_id") or ""),
    }
    ing.mark_cut(evid)
    if problem is not None:
        return _error(ing, at, event, "cut-score-valid", problem + "; results stay provisional")
    ing.log.append(
        at,
        "cut-score",
        str(event.get("released_by") or "KRS"),
        rule="cut-score-valid",
        message_id=event.get("event_id"),
        after=str(cut),
        detail=_dumps({"exam_version_id": evid}),
    )
    for aid in sorted(ing.by_version.get(evid, ())):
        rec = ing.results[aid]
        if rec.status not in PENDING:
            continue
        rec.cut_score_known_on = ing.today
        rec.cut_score = cut
        ing.regrade(rec)
        ing.settle(rec, at, event.get("event_id"), "cut-score-released")
    return True


def inspection_requested(ing: Ingestor, event: dict[str, Any], at: str) -> bool:
    return _open_case(ing, event, at, "inspection")


def _open_case(ing: Ingestor, event: dict[str, Any], at: str, kind: str) -> bool:
    case_id = event.get("case_id")
    if not isinstance(case_id, str) or not case_id:
        return _error(ing, at, event, "case-id-missing", "event has no case_id")
    if case_id in ing.cases:
        return _error(ing, at, event, "case-duplicate", f"case {case_id} was already filed")
    ing.cases[case_id] = {
        "case_id": case_id,
        "kind": kind,
        "association_id": str(event.get("association_id")),
        "filed_at": at,
        "reason": event.get("reason"),
        "status": "open",
        "outcome": None,
        "decided_at": None,
        "decided_by": None,
    }
    ing.mark_case(case_id)
    if _record(ing, event, at) is None:
        aid = str(event.get("association_id"))
        if kind == "appeal":
            return _not_admissible(
                ing,
                event,
                at,
                "appeal-not-admissible",
                f"appeal filed while no result is registered for association {aid}; not admissible "
                "(an appeal is possible only after establishment)",
            )
        if kind == "complaint":  # e.g. about how the exam went, before the marking is in
            ing.early_complaints[aid].append(case_id)
            effect = "the complaint is open and blocks establishment once the result arrives"
        else:
            effect = f"{kind} recorded without effect"
        why = f"no result registered for association {aid} yet; {effect}"
        return _error(ing, at, event, "no-result", why)
    return True


def complaint_filed(ing: Ingestor, event: dict[str, Any], at: str) -> bool:
    if not _open_case(ing, event, at, "complaint"):
        return False
    rec = _record(ing, event, at)
    if rec.status in ESTABLISHED or rec.status == Status.WITHDRAWN:
        since = f" since {rec.definitive_on.isoformat()}" if rec.definitive_on else ""
        return _not_admissible(
            ing,
            event,
            at,
            "complaint-after-establishment",
            f"complaint filed while the result is {rec.status}{since}; not admissible, the result "
            "stays as it is (after establishment the route is an appeal to the CBE)",
        )
    rec.open_complaints += 1
    ing.mark_dirty(rec.association_id)
    if rec.complaint_deadline is not None and ing.today is not None and ing.today > rec.complaint_deadline:
        ing.log.append(
            at,
            "error",
            "KRS",
            rule="complaint-window-closed",
            message_id=event.get("event_id"),
            association_id=rec.association_id,
            reason="complaint filed after the window; handled anyway",
        )
    ing.settle(rec, at, event.get("event_id"), "complaint-filed")
    return True


def _decide_case(
    ing: Ingestor, event: dict[str, Any], at: str, kind: str
) -> tuple[dict[str, Any] | None, bool]:
    """The open case to act on, or (None, applied?) when there is nothing to act on."""
    case = ing.cases.get(str(event.get("case_id")))
    if case is None or case["kind"] != kind:
        _error(ing, at, event, "unknown-case", f"no {kind} case {event.get('case_id')}")
        return None, False
    outcome = event.get("outcome")
    if case["status"] in INADMISSIBLE and outcome in ("upheld", "rejected"):
        # the exam board still answers a case KRS found not admissible: kept on the case, no effect
        # on the result (a changed result arrives as a corrected flow-3 message, under the policy)
        case.update(outcome=outcome, decided_at=at, decided_by=event.get("decided_by"))
        ing.mark_case(case["case_id"])
        return None, True
    if case["status"] != "open":
        _error(ing, at, event, "case-not-open", f"{kind} case {case['case_id']} is {case['status']}")
        return None, False
    if outcome not in ("upheld", "rejected"):
        _error(ing, at, event, "case-outcome", f"outcome {outcome!r} is not upheld or rejected")
        return None, False
    case.update(status="decided", outcome=outcome, decided_at=at, decided_by=event.get("decided_by"))
    ing.mark_case(case["case_id"])
    return case, True


def complaint_decided(ing: Ingestor, event: dict[str, Any], at: str) -> bool:
    case, ok = _decide_case(ing, event, at, "complaint")
    if case is None:
        return ok  # ok: the answer to a case that was not admitted, recorded on the case
    rec = ing.results.get(case["association_id"])
    if rec is None:
        return True
    rec.open_complaints = max(0, rec.open_complaints - 1)
    if case["outcome"] == "upheld":
        rec.correction_expected = True  # a corrected flow-3 result follows; no establishment before it
    ing.mark_dirty(rec.association_id)
    ing.settle(rec, at, event.get("event_id"), f"complaint-{case['outcome']}")
    return True


def appeal_filed(ing: Ingestor, event: dict[str, Any], at: str) -> bool:
    if not _open_case(ing, event, at, "appeal"):
        return False
    rec = _record(ing, event, at)
    if rec.status not in (Status.DEFINITIVE, Status.APPEAL_WINDOW, Status.APPEAL_OPEN):
        if rec.status == Status.CLOSED:
            why = "the appeal window is over" + (
                f" (closed on {rec.closed_on.isoformat()})" if rec.closed_on else ""
            )
        elif rec.status == Status.WITHDRAWN:
            why = "the result is withdrawn"
        else:
            why = f"the result is {rec.status}: an appeal is possible only after establishment"
        return _not_admissible(
            ing, event, at, "appeal-not-admissible", f"appeal filed while {why}; not admissible"
        )
    rec.open_appeals += 1
    ing.mark_dirty(rec.association_id)
    ing.settle(rec, at, event.get("event_id"), "appeal-filed")
    return True


def appeal_decided(ing: Ingestor, event: dict[str, Any], at: str) -> bool:
    case, ok = _decide_case(ing, event, at, "appeal")
    if case is None:
        return ok  # ok: the answer to a case that was not admitted, recorded on the case
    rec = ing.results.get(case["association_id"])
    if rec is None:
        return True
    rec.open_appeals = max(0, rec.open_appeals - 1)
    ing.mark_dirty(rec.association_id)
    if case["outcome"] == "upheld":
        rec.correction_expected = True
        if ing.transition(rec, Status.CORRECTED, at, event.get("event_id"), "appeal-upheld"):
            rec.definitive_on = rec.definitive_rule = rec.definitive_by = None
            rec.appeal_deadline = rec.closed_on = None
            rec.provisional_since = ing.today
    ing.settle(rec, at, event.get("event_id"), f"appeal-{case['outcome']}")
    return True


def early_establishment(ing: Ingestor, event: dict[str, Any], at: str) -> bool:
    rec = _record(ing, event, at)
    if rec is None:
        return _error(ing, at, event, "no-result", "no result to establish")
    if rec.status not in PENDING:
        return _error(ing, at, event, "not-provisional", f"result is {rec.status}, not provisional")
    rec.early_by = str(event.get("decided_by") or "examencommissie")
    ing.mark_dirty(rec.association_id)
    ing.settle(rec, at, event.get("event_id"), "early-establishment")
    if rec.status != Status.DEFINITIVE:
        ing.log.append(
            at,
            "error",
            "KRS",
            rule="early-establishment-blocked",
            message_id=event.get("event_id"),
            association_id=rec.association_id,
            reason=f"still {rec.status}; established once unblocked",
        )
    return True


def exception_approved(ing: Ingestor, event: dict[str, Any], at: str) -> bool:
    """Extension: the exam board approves a deviation (per association, or a whole zitting's report)."""
    by = str(event.get("decided_by") or "examencommissie")
    targets: list[str] = []
    if isinstance(event.get("offering_id"), str):
        ing.approved_offerings[event["offering_id"]] = by
        targets = list(ing.associations_of_offering(event["offering_id"]))
    elif isinstance(event.get("association_id"), str):
        targets = [event["association_id"]]
    else:
        return _error(
            ing, at, event, "target-missing", "exception_approved needs association_id or offering_id"
        )
    for aid in sorted(targets):
        rec = ing.results.get(aid)
        if rec is None or not rec.exception:
            continue
        rec.exception_approved_by = by
        ing.mark_dirty(aid)
        ing.settle(rec, at, event.get("event_id"), "exception-approved")
    return True


def result_withdrawn(ing: Ingestor, event: dict[str, Any], at: str) -> bool:
    """Extension: the exam board withdraws (annuls) a result, e.g. after fraud."""
    rec = _record(ing, event, at)
    if rec is None:
        return _error(ing, at, event, "no-result", "no result to withdraw")
    return ing.transition(rec, Status.WITHDRAWN, at, event.get("event_id"), "result-withdrawn")


HANDLERS: dict[str, Callable[[Ingestor, dict[str, Any], str], bool]] = {
    "cut_score_released": cut_score_released,
    "inspection_requested": inspection_requested,
    "complaint_filed": complaint_filed,
    "complaint_decided": complaint_decided,
    "appeal_filed": appeal_filed,
    "appeal_decided": appeal_decided,
    "early_establishment": early_establishment,
    "exception_approved": exception_approved,
    "result_withdrawn": result_withdrawn,
}
