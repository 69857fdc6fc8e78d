"""The named rules beyond JSON Schema: plain-sense and spec-backed checks with stable codes.

Each rule is a row in RULES (code, severity, flows, spec section, fix), so the documentation
table, the explanations and the conformance pack all read from one place. The checks are
written defensively: they also run on bodies that failed the schema, and must never raise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from oke_core.contract.flows import NL_TEST_ADMIN, association_id_from_path
from oke_core.contract.model import ERROR, WARNING, Problem, RuleContext
from oke_core.contract.scores import EXPECTED, score_fits


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    flows: tuple[int, ...]
    summary: str
    source: str
    fix: str


RULES: dict[str, Rule] = {
    r.code: r
    for r in (
        Rule(
            "raw-score-above-max",
            ERROR,
            (3, 5),
            "rawScore is higher than maxRawScore (or the exam's maximum)",
            "PDF Tabel 4.3.D (rawScore, maxRawScore)",
            "A participant cannot score more points than the exam version allows; correct rawScore or "
            "maxRawScore.",
        ),
        Rule(
            "raw-score-without-max",
            WARNING,
            (3, 5),
            "rawScore is sent without maxRawScore",
            "YAML nl-test-admin-Result (rawScore needs maxRawScore for context)",
            "Send maxRawScore with rawScore so the receiver can convert points with the cesuur.",
        ),
        Rule(
            "max-raw-score-mismatch",
            WARNING,
            (3, 5),
            "maxRawScore differs from the exam version's maximum",
            "PDF Tabel 4.3.D; caller context (--context)",
            "Check that the result belongs to this exam version; send its maximum raw score.",
        ),
        Rule(
            "score-on-absent",
            ERROR,
            (3, 5),
            "a score or raw score on a participant who did not sit the test",
            "PDF Tabel 4.3.E (attendance), plain sense",
            "A participant who was notPresent, notStarted or notKnown has no work to mark: leave score and "
            "rawScore out, or correct attendance to present/notFinished.",
        ),
        Rule(
            "scored-without-score",
            ERROR,
            (3, 5),
            "a completed result for a present participant without score",
            "PDF §3.3.2, Fig 3.3.6 (scored message), Tabel 4.3.D",
            "A completed result of a participant who handed in must carry the score; add result.score, or "
            "send state 'in progress' while marking is still going on.",
        ),
        Rule(
            "final-not-completed",
            ERROR,
            (3, 5),
            "final is true while result.state is not completed",
            "PDF Tabel 4.3.D (final, state)",
            "Only a completed result can be established as final by the examencommissie; send final false "
            "or state completed.",
        ),
        Rule(
            "score-value-type",
            ERROR,
            (3, 5),
            "score does not fit the exam's result value type",
            "PDF Tabel 4.3.D (score), Tabel 4.1.D (ResultValueType); caller context (--context)",
            "Write the score in the result value type of the exam component.",
        ),
        Rule(
            "pass-contradicts-score",
            WARNING,
            (3, 5),
            "pass says the opposite of a pass-or-fail score",
            "PDF Tabel 4.3.D (pass, score), plain sense",
            "Make result.pass agree with result.score.",
        ),
        Rule(
            "assessor-missing",
            ERROR,
            (3, 5),
            "a scored result without assessorId or assessorCode",
            "PDF Tabel 4.3.D (assessorId, assessorCode); caller context (assessor_required)",
            "This exam requires a registered beoordelaar: send assessorId and/or assessorCode.",
        ),
        Rule(
            "weight-not-100",
            WARNING,
            (3, 5),
            "result.weight is not 100",
            "PDF Tabel 4.3.D (weight: not used, always 100)",
            "Send weight 100.",
        ),
        Rule(
            "test-date-after-result-date",
            WARNING,
            (3, 5),
            "testDate lies after resultDate",
            "PDF Tabel 4.3.D (testDate, resultDate), plain sense",
            "A result cannot be determined before the test took place; check testDate and resultDate.",
        ),
        Rule(
            "document-id-not-uuid",
            WARNING,
            (3, 4, 5),
            "documentId is not a UUID",
            "YAML nl-test-admin-Result/Offering (documentId: the UUID of the document), PDF Tabel 4.6.A",
            "Send the document's UUID; the receiver uses it in GET /documents/{documentId}.",
        ),
        Rule(
            "legacy-consumer-key",
            WARNING,
            (3, 4, 5),
            "a consumer block uses an old or mis-cased consumerKey",
            "PDF v0.9.3 history (consumerKey nl-test-admin)",
            "Use the lower-case consumerKey 'nl-test-admin'; blocks with other keys are ignored.",
        ),
        Rule(
            "attendance-in-association-consumer",
            WARNING,
            (3, 5),
            "attendance sent in the association's consumer block instead of the result's",
            "PDF Tabel 4.3.D (attendance is a result field)",
            "Move attendance to result.consumers[nl-test-admin].attendance.",
        ),
        Rule(
            "put-id-mismatch",
            ERROR,
            (5,),
            "associationId in the PUT body differs from the path id",
            "PDF §5.1-5.3 (PUT: the body id must equal the path id)",
            "Send the same associationId in the body as in the URL.",
        ),
        Rule(
            "put-same-as-original",
            WARNING,
            (5,),
            "the extra attempt reuses the original associationId",
            "PDF §3.5.2-3.5.3 (an extra attempt gets a new toetsinschrijving)",
            "Give the extra attempt its own associationId; orgAssociationId points at the original one.",
        ),
    )
}

ABSENT = ("notPresent", "notStarted", "notKnown")
_PASS_FAIL = ("passed", "failed")
LEGACY_KEYS = ("mbo-toetsafname", NL_TEST_ADMIN)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_is_uuid = _UUID.fullmatch
_SEVERITY = {code: rule.severity for code, rule in RULES.items()}

# The checks below run for every message, so they are written for the clean message: a few direct
# lookups, early exits, nothing built (no pointer strings, no lists) unless a rule fires. They also run
# on bodies that failed the schema, so every lookup tolerates a wrong type and nothing may raise.


def _p(out: list[Problem], code: str, pointer: str, message: str) -> None:
    out.append(Problem(pointer, code, message, _SEVERITY[code]))


def _legacy_key(out: list[Problem], base: str, i: int, key: str) -> None:
    _p(
        out,
        "legacy-consumer-key",
        f"{base}/{i}/consumerKey",
        f"consumerKey {key!r} is not 'nl-test-admin', so this block is ignored",
    )


def _scan_consumers(consumers: list, base: str, out: list[Problem]) -> int | None:
    """Index of the first nl-test-admin block; warns about legacy keys on the way."""
    if len(consumers) == 1:  # the usual shape: just the nl-test-admin block
        item = consumers[0]
        if isinstance(item, dict):
            key = item.get("consumerKey")
            if key == NL_TEST_ADMIN:
                return 0
            if isinstance(key, str) and key.lower() in LEGACY_KEYS:
                _legacy_key(out, base, 0, key)
        return None
    found = None
    for i, item in enumerate(consumers):
        if isinstance(item, dict):
            key = item.get("consumerKey")
            if key == NL_TEST_ADMIN:
                if found is None:
                    found = i
            elif isinstance(key, str) and key.lower() in LEGACY_KEYS:
                _legacy_key(out, base, i, key)
    return found


def _document_rules(docs: list, base: str, out: list[Problem]) -> None:
    for j, doc in enumerate(docs):
        if isinstance(doc, dict):
            doc_id = doc.get("documentId")
            if isinstance(doc_id, str) and _is_uuid(doc_id) is None:
                _p(
                    out,
                    "document-id-not-uuid",
                    f"{base}/{j}/documentId",
                    f"documentId {doc_id!r} is not a UUID",
                )


def _documents_clean(docs: object) -> bool:
    """True when no document rule can fire: the cheap check before building any pointer."""
    if not isinstance(docs, list):
        return True
    for doc in docs:
        if isinstance(doc, dict):
            doc_id = doc.get("documentId")
            if isinstance(doc_id, str) and _is_uuid(doc_id) is None:
                return False
    return True


def _result_rules(result: dict, ctx: RuleContext | None, out: list[Problem]) -> None:
    score = result.get("score")
    weight = result.get("weight")
    if weight != 100 and weight is not None and type(weight) is int:
        _p(out, "weight-not-100", "/result/weight", f"weight is {weight}, OKE always sends 100")
    if score is not None:
        pass_ = result.get("pass")
        if pass_ is not None and pass_ != score and pass_ in _PASS_FAIL and score in _PASS_FAIL:
            _p(out, "pass-contradicts-score", "/result/pass", f"pass is {pass_!r} but score is {score!r}")
        if (
            ctx is not None
            and ctx.result_value_type
            and type(score) is str
            and not score_fits(score, ctx.result_value_type)
        ):
            _p(
                out,
                "score-value-type",
                "/result/score",
                f"score {score!r} does not fit result value type {ctx.result_value_type!r}: expected "
                f"{EXPECTED[ctx.result_value_type]}",
            )
    consumers = result.get("consumers")
    if type(consumers) is not list or not consumers:
        return
    # The result's consumers: one nl-test-admin block is the rule (checked with `type() is dict`).
    nl = consumers[0]
    if len(consumers) == 1 and type(nl) is dict and nl.get("consumerKey") == NL_TEST_ADMIN:
        i = 0
    else:
        nl, i = _result_nl_block(consumers, out)
        if nl is None:
            return
    nget = nl.get
    attendance = nget("attendance")
    # Any, not `Any | None`: `has_raw` says whether it is an int, and mypy cannot narrow through the flag
    raw: Any = nget("rawScore")
    has_raw = type(raw) is int
    if nget("final") is True:
        state = result.get("state")
        if state != "completed" and type(state) is str:
            _p(
                out,
                "final-not-completed",
                f"/result/consumers/{i}/final",
                f"final is true but result.state is {state!r}",
            )
    if attendance in ABSENT:
        if score is not None:
            _p(
                out,
                "score-on-absent",
                "/result/score",
                f"a score is given while attendance is {attendance!r}",
            )
        if has_raw:
            _p(
                out,
                "score-on-absent",
                f"/result/consumers/{i}/rawScore",
                f"a rawScore is given while attendance is {attendance!r}",
            )
    elif score is None and (has_raw or (attendance == "present" and result.get("state") == "completed")):
        why = "rawScore is given" if has_raw else "the result is completed and the participant was present"
        _p(out, "scored-without-score", "/result", f"'score' is missing although {why}")
    max_raw = nget("maxRawScore")
    if has_raw:
        if type(max_raw) is int:
            if raw > max_raw:
                _p(
                    out,
                    "raw-score-above-max",
                    f"/result/consumers/{i}/rawScore",
                    f"rawScore {raw} is above maxRawScore {max_raw}",
                )
        else:
            _p(
                out,
                "raw-score-without-max",
                f"/result/consumers/{i}",
                "rawScore is given without maxRawScore",
            )
            if ctx is not None and ctx.max_raw_score is not None and raw > ctx.max_raw_score:
                _p(
                    out,
                    "raw-score-above-max",
                    f"/result/consumers/{i}/rawScore",
                    f"rawScore {raw} is above the exam version's maximum {ctx.max_raw_score}",
                )
    if ctx is not None:
        _context_rules(nl, i, score, attendance, max_raw, ctx, out)
    test_date = nget("testDate")
    if type(test_date) is str and len(test_date) > 10:
        result_date = result.get("resultDate")
        if type(result_date) is str and len(result_date) == 10 and test_date[:10] > result_date:
            _p(
                out,
                "test-date-after-result-date",
                f"/result/consumers/{i}/testDate",
                f"testDate {test_date} is after resultDate {result_date}",
            )
    docs = nget("documents")
    if docs and not _documents_clean(docs):
        _document_rules(docs, f"/result/consumers/{i}/documents", out)


def _result_nl_block(consumers: list, out: list[Problem]) -> tuple[dict | None, int]:
    """The first nl-test-admin block of result.consumers and its index; legacy keys warned."""
    nl = None
    i = 0
    for n, item in enumerate(consumers):
        if type(item) is dict:
            key = item.get("consumerKey")
            if key == NL_TEST_ADMIN:
                if nl is None:
                    nl, i = item, n
            elif type(key) is str and key.lower() in LEGACY_KEYS:
                _legacy_key(out, "/result/consumers", n, key)
    return nl, i


def _context_rules(
    nl: dict, i: int, score: object, attendance: object, max_raw: object, ctx: RuleContext, out: list[Problem]
) -> None:
    if ctx.max_raw_score is not None and type(max_raw) is int and max_raw != ctx.max_raw_score:
        _p(
            out,
            "max-raw-score-mismatch",
            f"/result/consumers/{i}/maxRawScore",
            f"maxRawScore {max_raw} differs from the exam version's maximum {ctx.max_raw_score}",
        )
    if (
        ctx.assessor_required
        and score is not None
        and attendance not in ABSENT
        and not nl.get("assessorId")
        and not nl.get("assessorCode")
    ):
        _p(
            out,
            "assessor-missing",
            f"/result/consumers/{i}",
            "this exam requires an assessor but neither assessorId nor assessorCode is given",
        )


def _association_consumer_rules(
    consumers: object, flow: int, method: str, body: dict, out: list[Problem]
) -> None:
    if not isinstance(consumers, list):
        return
    i = _scan_consumers(consumers, "/consumers", out)
    if i is None:
        return
    nl = consumers[i]
    if "attendance" in nl:
        _p(
            out,
            "attendance-in-association-consumer",
            f"/consumers/{i}/attendance",
            "attendance belongs in result.consumers, not in the association's consumers",
        )
    if flow == 5 and method == "PUT":
        assoc_id = body.get("associationId")
        if isinstance(assoc_id, str) and assoc_id == nl.get("orgAssociationId"):
            _p(
                out,
                "put-same-as-original",
                f"/consumers/{i}/orgAssociationId",
                "orgAssociationId equals associationId: the extra attempt must have its own association",
            )


def apply_rules(
    body: dict, flow: int, method: str, path: str | None, ctx: RuleContext | None
) -> list[Problem]:
    """Run every rule that applies to `flow`; `path` is the request path (for the PUT id rule)."""
    out: list[Problem] = []
    if flow == 4:
        consumers = body.get("consumers")
        if isinstance(consumers, list):
            i = _scan_consumers(consumers, "/consumers", out)
            if i is not None:
                docs = consumers[i].get("documents")
                if isinstance(docs, list) and not _documents_clean(docs):
                    _document_rules(docs, f"/consumers/{i}/documents", out)
        return out
    result = body.get("result")
    if type(result) is dict:
        _result_rules(result, ctx, out)
    consumers = body.get("consumers")
    if consumers is not None:
        _association_consumer_rules(consumers, flow, method, body, out)
    if flow == 5 and method == "PUT" and path:
        path_id = association_id_from_path(path)
        assoc_id = body.get("associationId")
        if path_id is not None and isinstance(assoc_id, str) and assoc_id != path_id:
            _p(
                out,
                "put-id-mismatch",
                "/associationId",
                f"associationId {assoc_id!r} differs from the id in the path {path_id!r}",
            )
    return out
