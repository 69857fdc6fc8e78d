"""The institution the year is played in: colleges, programmes, students, assessors, components.

Generated with Faker nl_NL so names, places and tussenvoegsels look Dutch; crebo codes and BRIN
numbers are synthetic (they only have the right shape).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from faker import Faker

from oke_sim.grading import PASS_FROM
from oke_sim.rng import Streams, new_uuid, pick_weighted

SECTORS = [
    (
        "Zorg & Welzijn",
        [
            "Verzorgende-IG",
            "Maatschappelijke zorg",
            "Apothekersassistent",
            "Pedagogisch medewerker",
            "Doktersassistent",
            "Verpleegkundige",
        ],
    ),
    (
        "Techniek",
        [
            "Eerste monteur elektrotechniek",
            "Mechatronica",
            "Installatietechniek",
            "Werktuigbouwkunde",
            "Procestechniek",
            "Middenkaderfunctionaris engineering",
        ],
    ),
    (
        "ICT & Media",
        [
            "Software developer",
            "Expert IT systems and devices",
            "Mediavormgever",
            "Allround medewerker IT",
            "Netwerkbeheerder",
            "Game developer",
        ],
    ),
    (
        "Economie & Ondernemen",
        [
            "Commercieel medewerker",
            "Secretarieel medewerker",
            "Logistiek medewerker",
            "Ondernemer detailhandel",
            "Financieel administratief medewerker",
            "Juridisch medewerker",
        ],
    ),
    (
        "Horeca & Toerisme",
        [
            "Kok",
            "Gastheer/gastvrouw",
            "Zelfstandig werkend kok",
            "Leidinggevende travel & hospitality",
            "Bakker",
            "Medewerker evenementen",
        ],
    ),
    (
        "Bouw & Infra",
        [
            "Timmerman",
            "Metselaar",
            "Schilder",
            "Middenkaderfunctionaris bouw",
            "Opperman bestrating",
            "Installateur",
        ],
    ),
    (
        "Mobiliteit",
        [
            "Autotechnicus",
            "Eerste autotechnicus",
            "Fietstechnicus",
            "Chauffeur goederenvervoer",
            "Technicus motorvoertuigen",
            "Carrosseriebouwer",
        ],
    ),
    (
        "Groen",
        [
            "Hovenier",
            "Dierverzorger",
            "Bloembinder",
            "Medewerker teelt",
            "Natuur en recreatie",
            "Paardenhouderij",
        ],
    ),
]
PROGRAMME_YEARS = {1: 1, 2: 2, 3: 3, 4: 4}
TUSSENVOEGSEL_WORDS = {
    "van",
    "de",
    "der",
    "den",
    "het",
    "'t",
    "in",
    "ter",
    "te",
    "op",
    "ten",
    "la",
    "le",
    "du",
    "d'",
}


@dataclass(slots=True)
class College:
    code: str
    name: str
    location: str


@dataclass(slots=True)
class Programme:
    crebo: str
    name: str
    level: int
    pathway: str
    college: College


@dataclass(slots=True)
class Student:
    index: int
    student_id: str
    student_number: str
    given_name: str
    tussenvoegsel: str
    family_name: str
    email: str
    programme: Programme
    cohort: str
    ability: float


@dataclass(slots=True)
class Assessor:
    assessor_id: str
    assessor_code: str
    name: str
    college: College


@dataclass(slots=True)
class ExamVersion:
    exam_version_id: str
    code: str
    max_raw_score: int
    cut_score: int
    difficulty: float
    component: Component
    provisional_cut: int
    released_at: int | None = None
    release_scheduled: bool = False
    marked_times: list[int] = field(default_factory=list)
    marked_count: int = 0
    awaiting: list[Any] = field(default_factory=list)


@dataclass(slots=True)
class Component:
    index: int
    component_id: str
    code: str
    name: str
    college: College
    result_value_type: str
    cut_score: bool
    test_system: str
    variant: int
    supplier: str
    assessor_required: bool
    capacity: int
    duration_minutes: int
    versions: list[ExamVersion] = field(default_factory=list)


@dataclass
class Institution:
    institution_id: str
    name: str
    brin: str
    colleges: list[College]
    programmes: list[Programme]
    students: list[Student]
    assessors: dict[str, list[Assessor]]
    components: list[Component]
    takers: dict[str, list[tuple[Component, Student]]]  # period -> first attempts


def _split_family_name(name: str) -> tuple[str, str]:
    """Faker nl_NL gives "van der Berg"; the register keeps the tussenvoegsel apart."""
    words = name.split(" ")
    i = 0
    while i < len(words) - 1 and words[i].lower() in TUSSENVOEGSEL_WORDS:
        i += 1
    return " ".join(words[:i]), " ".join(words[i:])


def _initials_code(name: str, taken: set[str]) -> str:
    letters = "".join(w[0] for w in name.replace("-", " ").split() if w and w[0].isalpha()).upper()
    base = (letters + "XXX")[:3]
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}{n}"
    taken.add(code)
    return code


def build_institution(params: dict[str, Any], streams: Streams) -> Institution:
    inst_p = params["institution"]
    rng = streams("institution")
    fake = Faker("nl_NL")
    fake.seed_instance(streams.seed)
    year_start = dt.date.fromisoformat(params["calendar"]["year_start"])
    name = inst_p["name"] or f"ROC {fake.city()}"
    brin = (
        inst_p["brin"] or f"{rng.randint(10, 99)}{chr(65 + rng.randrange(26))}{chr(65 + rng.randrange(26))}"
    )
    domain = "".join(c for c in name.lower() if c.isalnum())[:24] + ".nl"

    sectors = list(SECTORS)
    rng.shuffle(sectors)
    colleges: list[College] = []
    programmes: list[Programme] = []
    crebos = rng.sample(range(25000, 26000), inst_p["colleges"] * inst_p["programmes_per_college"])
    for c in range(inst_p["colleges"]):
        sector, names = sectors[c % len(sectors)]
        college = College(code=f"C{c + 1:02d}", name=f"{sector} {fake.city()}", location=fake.city())
        colleges.append(college)
        for p in range(inst_p["programmes_per_college"]):
            level = int(pick_weighted(rng, inst_p["level_shares"]))
            pathway = "BBL" if rng.random() < inst_p["bbl_share"] else "BOL"
            programmes.append(
                Programme(
                    crebo=str(crebos.pop()),
                    name=names[p % len(names)],
                    level=level,
                    pathway=pathway,
                    college=college,
                )
            )

    srng = streams("students")
    n = inst_p["students"]
    numbers = srng.sample(range(100_000, 10_000_000), n)
    scores = params["scores"]
    students: list[Student] = []
    for i in range(n):
        programme = programmes[srng.randrange(len(programmes))]
        tv, family = _split_family_name(fake.last_name())
        given = fake.first_name()
        study_year = srng.randint(1, PROGRAMME_YEARS[programme.level])
        start = year_start.year - study_year + 1
        students.append(
            Student(
                index=i,
                student_id=new_uuid(srng),
                student_number=str(numbers[i]),
                given_name=given,
                tussenvoegsel=tv,
                family_name=family,
                email=f"{numbers[i]}@student.{domain}",
                programme=programme,
                cohort=f"{start}-{start + 1}",
                ability=srng.gauss(scores["mean_ability_percent"], scores["ability_sd_percent"]),
            )
        )

    arng = streams("assessors")
    assessors: dict[str, list[Assessor]] = {}
    taken: set[str] = set()
    for college in colleges:
        assessors[college.code] = []
        for _ in range(inst_p["assessors_per_college"]):
            full = fake.name()
            assessors[college.code].append(
                Assessor(
                    assessor_id=new_uuid(arng),
                    assessor_code=_initials_code(full, taken),
                    name=full,
                    college=college,
                )
            )

    components, takers = _build_components(params, streams, colleges, programmes, students, year_start)
    return Institution(
        institution_id=new_uuid(rng),
        name=name,
        brin=brin,
        colleges=colleges,
        programmes=programmes,
        students=students,
        assessors=assessors,
        components=components,
        takers=takers,
    )


def _build_components(
    params: dict[str, Any],
    streams: Streams,
    colleges: list[College],
    programmes: list[Programme],
    students: list[Student],
    year_start: dt.date,
) -> tuple[list[Component], dict[str, list[tuple[Component, Student]]]]:
    rng = streams("components")
    take_rng = streams("registrations")
    year_code = f"{year_start.year % 100:02d}{(year_start.year + 1) % 100:02d}"
    components: list[Component] = []
    takers: dict[str, list[tuple[Component, Student]]] = {
        p["name"]: [] for p in params["calendar"]["periods"]
    }
    by_programme: dict[str, list[Student]] = {}
    by_college: dict[str, list[Student]] = {}
    for s in students:
        by_programme.setdefault(s.programme.crebo, []).append(s)
        by_college.setdefault(s.programme.college.code, []).append(s)
    scores = params["scores"]

    def make(template: dict[str, Any], code: str, name: str, college: College) -> Component:
        system = params["test_systems"][template["test_system"]]
        comp = Component(
            index=len(components),
            component_id=new_uuid(rng),
            code=code,
            name=name,
            college=college,
            result_value_type=template["result_value_type"],
            cut_score=template["cut_score"],
            test_system=template["test_system"],
            variant=system["variant"],
            supplier="intern" if system["variant"] == 1 else system["name"],
            assessor_required=system["variant"] == 1,
            capacity=template["capacity"],
            duration_minutes=template["duration_minutes"],
        )
        lo, hi = template["max_raw_score"]
        for v in range(template["versions"]):
            max_raw = rng.randint(lo, hi)
            fraction = (
                rng.uniform(*scores["cut_fraction"]) if comp.cut_score else scores["fixed_norm_fraction"]
            )
            cut = min(max_raw, max(1, round(max_raw * fraction)))
            provisional = min(max_raw, max(1, round(max_raw * scores["fixed_norm_fraction"])))
            comp.versions.append(
                ExamVersion(
                    exam_version_id=new_uuid(rng),
                    code=f"{code}-{year_code}-{chr(65 + v)}",
                    max_raw_score=max_raw,
                    cut_score=cut,
                    difficulty=rng.gauss(0, 3),
                    component=comp,
                    provisional_cut=provisional,
                )
            )
        components.append(comp)
        return comp

    for template in params["components"]:
        levels = set(template["levels"])
        if template["scope"] == "generic":
            for college in colleges:
                pool = [s for s in by_college.get(college.code, []) if s.programme.level in levels]
                if not pool:
                    continue
                comp = make(template, template["code"], template["name"], college)
                period = template["periods"][0]
                for s in pool:
                    if take_rng.random() < template["take_share"]:
                        takers[period].append((comp, s))
        else:
            for programme in programmes:
                if programme.level not in levels:
                    continue
                for i in range(template.get("count", 1)):
                    comp = make(
                        template,
                        f"{template['code']}-{programme.crebo}-{i + 1}",
                        f"{template['name']} {programme.name} {i + 1}",
                        programme.college,
                    )
                    period = template["periods"][i % len(template["periods"])]
                    for s in by_programme.get(programme.crebo, []):
                        if take_rng.random() < template["take_share"]:
                            takers[period].append((comp, s))
    return components, takers


def planning_records(
    inst: Institution, params: dict[str, Any], closure_days: list[dt.date]
) -> dict[str, Any]:
    """The static planning files (offerings and associations are written as they are planned)."""
    cal = params["calendar"]
    return {
        "institution.json": {
            "institution_id": inst.institution_id,
            "name": inst.name,
            "brin": inst.brin,
            "policy": params["policy"],
            "colleges": [{"code": c.code, "name": c.name, "location": c.location} for c in inst.colleges],
            "closure_days": [d.isoformat() for d in closure_days],
            "year_start": cal["year_start"],
            "year_end": cal["year_end"],
        },
        "programmes.jsonl": [
            {
                "crebo": p.crebo,
                "name": p.name,
                "level": p.level,
                "pathway": p.pathway,
                "college_code": p.college.code,
            }
            for p in sorted(inst.programmes, key=lambda p: p.crebo)
        ],
        "students.jsonl": [
            {
                "student_id": s.student_id,
                "student_number": s.student_number,
                "given_name": s.given_name,
                "tussenvoegsel": s.tussenvoegsel,
                "family_name": s.family_name,
                "email": s.email,
                "crebo": s.programme.crebo,
                "cohort": s.cohort,
                "college_code": s.programme.college.code,
            }
            for s in sorted(inst.students, key=lambda s: s.student_number)
        ],
        "assessors.jsonl": [
            {
                "assessor_id": a.assessor_id,
                "assessor_code": a.assessor_code,
                "name": a.name,
                "college_code": a.college.code,
            }
            for group in inst.assessors.values()
            for a in sorted(group, key=lambda a: a.assessor_code)
        ],
        "components.jsonl": [
            {
                "component_id": c.component_id,
                "code": c.code,
                "name": c.name,
                "college_code": c.college.code,
                "result_value_type": c.result_value_type,
                "pass_from": PASS_FROM[c.result_value_type],
                "variant": c.variant,
                "supplier": c.supplier,
                "cut_score": c.cut_score,
                "assessor_required": c.assessor_required,
                "versions": [
                    {"exam_version_id": v.exam_version_id, "code": v.code, "max_raw_score": v.max_raw_score}
                    for v in c.versions
                ],
            }
            for c in sorted(inst.components, key=lambda c: (c.code, c.college.code))
        ],
    }


def draw_raw_score(rng: random.Random, student: Student, version: ExamVersion, noise_sd: float) -> int:
    """Raw score from the student's ability, the version's difficulty and the day's noise."""
    percent = student.ability - version.difficulty + rng.gauss(0, noise_sd)
    return max(0, min(version.max_raw_score, round(version.max_raw_score * percent / 100)))
