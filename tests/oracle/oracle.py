#!/usr/bin/env python3
"""Oracle test: our C2S eligibility engine against OpenFisca-France.

Run it with ``tests/oracle/run.sh`` (it makes the virtualenv and builds the engine). This script
generates a fixed-seed set of households, computes each one with OpenFisca-France in ONE batched
simulation (one entity of each kind per household), runs the same households through our engine's
command line (``target/debug/examples/estimate``, JSON Lines in and out), and compares the outcome
(free / participation / over_ceiling) and the monthly participation in cents. It prints the
disagreements as a table, the number of cases and the time taken, then ``N passed, M failed``
alone on a line, and exits 0 only when M == 0.

How OpenFisca-France models the C2S (package ``openfisca_france``, files
``model/prestations/minima_sociaux/cs/{cmu,acs,css,ressources,eligibilite}.py`` and parameters
``prestations_sociales/solidarite_insertion/minima_sociaux/cs/``). It still uses the CMU-C / ACS
names, all on the ``famille`` entity and a MONTH period (the request month):

* ``cmu_c_plafond``: free ceiling = round(``cmu.plafond_base`` x (1 + ``cmu.majoration_dom``)
  x coefficient), coefficient 1 + 0.5 for the 2nd person + 0.3 for the 3rd and 4th + 0.4 from the
  5th, the children ranked by decreasing age (``age_en_mois``), halved for a child with
  ``garde_alternee`` (CSS R861-3). ``acs_plafond`` = ``cmu_c_plafond`` x 1.35 is the ceiling
  with participation.
* ``css_cmu_base_ressources``: forfait logement + the members' ``css_cmu_base_ressources_individu``
  (salaire_net and some twenty other incomes summed over the 12 months before the request month)
  + family benefits (af, asf, cf, paje_clca, paje_prepare, aspa after allowance).
* forfait logement: ``css_cmu_forfait_logement_base`` (owner ``proprietaire`` or housed free
  ``loge_gratuitement``: 12 / 14 / 14 % of the RSA montant forfaitaire for a foyer of 1 / 2 / 3
  persons, i.e. RSA base x 1, x 1.5, x 1.8) and ``css_cmu_forfait_logement_al`` (anyone with
  ``aide_logement`` > 0: 12 / 16 / 16.5 % of the same amounts, capped at 12 x the aid), both
  annual amounts; the number of persons is ``cmu_nbp_foyer`` (parents + children aged <= 25).
* ``cmu_c`` (true: free C2S) when base <= cmu_c_plafond or the famille gets the RSA;
  ``css_participation_forfaitaire`` (monthly EUR) when not cmu_c and base <= acs_plafond: the sum
  over the famille's members of 8 / 14 / 21 / 25 / 30 EUR by ``age``; both gated by
  ``css_cmu_acs_eligibilite`` and not Mayotte.

How a household is fed to OpenFisca. One ``famille`` (demandeur = applicant, conjoint = spouse,
enfant = every dependant, relation child or other), one ``foyer_fiscal`` and one ``menage``
(``autre`` for household members outside the foyer, who get a famille and foyer_fiscal of their
own). Inputs: ``date_naissance``; ``garde_alternee``; ``statut_occupation_logement`` (tenant ->
``locataire_vide``, owner -> ``proprietaire``, housed_free -> ``loge_gratuitement``, homeless ->
``sans_domicile``); ``aide_logement`` (the monthly aid, request month); ``depcom`` (75056 for
metropole, 971xx-974xx for DOM). Resources: our engine takes one yearly total; OpenFisca gets the
same total as ``salaire_net`` spread evenly over the 12 months it reads (split between the
applicant, the spouse and sometimes a dependant), so that ``css_cmu_base_ressources`` minus its
forfait logement equals exactly what the engine is given (checked for every case: a mismatch is a
harness failure). Everything else that would enter the base or the outcome is set to 0 as an input
so OpenFisca does not derive it from the household: af, asf, cf, paje_clca, paje_prepare, aspa
(famille), aah, asi (individu) over every month read, and ``rsa`` (the RSA gives a free C2S).

Known differences between OpenFisca-France and the rules we implement, and how the cases avoid
them (the generator never changes what either side computes; it only chooses households for which
the difference cannot change the answer):

1. Ceilings after 2024: OpenFisca's ``cmu.plafond_base`` stops at 10 166 EUR (1 April 2024). A
   parameter reform adds 10 339 EUR from 1 April 2025 (the published 2025 table); nothing else
   is changed. DOM ceilings from 2025-04-01 and everything from 2026-04-01 have no published
   table: our engine answers them provisionally (the last table revalued, ``provisional``)
   and OpenFisca has nothing to compare with, so no such case is generated; every generated
   case must come back with ``provisional`` false.
2. Reference period: OpenFisca reads M-12 to M-1 (M = request month), the law and our engine
   M-13 to M-2. Both sides are fed totals only, so OpenFisca gets the total over ITS window.
3. Rounding: OpenFisca computes ceilings as round(base x coefficient) (x 1.35, unrounded, for the
   participation ceiling) while the published tables are truncated: they differ by 1 or 2 EUR,
   more with many persons. The resources considered (resources + forfait logement, as the law
   and OpenFisca compute it) are kept at least 50 EUR/year away from every ceiling under both
   conventions, and the ceilings themselves are not compared, only the outcomes.
4. Age: OpenFisca takes ``age`` on the first day of the request month (participation brackets,
   dependants' age limit); our engine uses the age on 1 January of the request year
   (participation) and on the request date (dependants). Every birthday is either on 1 January or
   in a month after the request month, so that all three ages are equal; request months are never
   December. Dependants in a foyer are at most 23 years old.
5. Age limit of dependants: OpenFisca counts them up to 25 INCLUSIVE (``age <= 25``), the law
   under 25; and its ceiling coefficient counts every ``enfant`` of the famille whatever the age.
   No dependant is aged 24 to 26; household members outside the foyer (a child or other aged 27
   and more) are put in a famille of their own in OpenFisca.
6. Owner (or housed free) WITH housing aid: OpenFisca adds both forfaits (``(proprietaire +
   loge_gratuitement) x base + al``) where R861-5 gives the aid forfait only. Housing aid is only
   generated for tenants.
7. Dependants of about the same age: OpenFisca ranks them by ``age_en_mois``, a whole number
   of average months (days / 30.44), so two children born a few days apart across a month
   boundary tie and their order is arbitrary. Dependants of a household are born at least 40
   days apart.
8. The RSA: OpenFisca grants a free C2S to RSA recipients and would compute an RSA from the
   household; ``rsa`` is set to 0 (our engine has no such input).
9. Alternating custody is only generated for minor children (R861-3 halves the rate of "enfants
   mineurs en résidence alternée"), never for "other" dependants.

Options: ``--engine PATH`` (default: target/debug/examples/estimate, or $C2S_ESTIMATE_BIN),
``--cases N`` (default 360), ``--seed S``, ``--all`` (print every case, not only disagreements).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

SEED = 20250615
DEFAULT_CASES = 360
MARGIN_EUR = 50.0
TIMINGS: dict[str, float] = {}

# Request months (never December: see difference 4). Metropole spans the 2024 and 2025 tables;
# DOM only the 2024 one (difference 1).
METRO_MONTHS = [(2024, 4), (2024, 7), (2024, 10), (2025, 1), (2025, 3),
                (2025, 4), (2025, 6), (2025, 9), (2025, 11), (2026, 2)]
DOM_MONTHS = [(2024, 4), (2024, 7), (2024, 10), (2025, 1), (2025, 3)]
DOM_DEPCOM = ["97105", "97209", "97302", "97411"]  # Guadeloupe, Martinique, Guyane, Réunion

# Published one-person free ceilings (EUR/year) and RSA base, per table year (1 April).
PUBLISHED_BASE = {("metropole", 2024): 10166, ("metropole", 2025): 10339, ("dom", 2024): 11315}
OPENFISCA_PLAFOND_2025 = 10339  # the reform of difference 1
DOM_MAJORATION = 0.113
RSA_BASE = {2024: 635.71, 2025: 646.52}
RSA_FOYER = [1.0, 1.5, 1.8]              # montant forfaitaire for 1, 2, 3+ persons
FORFAIT_OWNER = [0.12, 0.14, 0.14]
FORFAIT_AID = [0.12, 0.16, 0.165]
PARTICIPATION_MULT = 1.35

# ------------------------------------------------------------------ cases


@dataclass
class Member:
    relation: str          # applicant | spouse | child | other
    birth: dt.date
    age: int               # at the request date (= on 1 January = first of month, by construction)
    alternating: bool = False
    in_foyer: bool = True
    salary_cents: int = 0  # this member's share of the resources, for OpenFisca


@dataclass
class Case:
    id: str
    request_date: dt.date
    territory: str
    depcom: str
    members: list[Member]
    status: str            # tenant | owner | housed_free | homeless
    aid_cents: int         # monthly housing aid
    resources_cents: int   # over the 12-month reference period, without the forfait logement
    zone: str              # where the generator aimed the resources considered
    law: dict = field(default_factory=dict)


def table_year(d: dt.date) -> int:
    return d.year if d.month >= 4 else d.year - 1


def add_months(year: int, month: int, n: int) -> tuple[int, int]:
    i = year * 12 + month - 1 + n
    return i // 12, i % 12 + 1


def age_on(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def law_coefficient(members: list[Member]) -> float:
    """CSS R861-3: +50 % 2nd person, +30 % 3rd and 4th, +40 % from the 5th; spouse first, then
    dependants by decreasing age; halved for a minor child in alternating custody."""
    rates = []
    foyer = [m for m in members if m.in_foyer]
    if any(m.relation == "spouse" for m in foyer):
        rates.append(1.0)
    for m in sorted((m for m in foyer if m.relation in ("child", "other")), key=lambda m: m.birth):
        rates.append(0.5 if m.alternating else 1.0)
    coefficient = 1.0
    for rank, weight in enumerate(rates, start=2):
        coefficient += weight * (0.5 if rank == 2 else 0.3 if rank <= 4 else 0.4)
    return coefficient


def law_values(c: Case) -> dict:
    """The ceilings under both rounding conventions and the forfait logement, as R861-3/R861-5
    (and OpenFisca) compute them, in EUR/year."""
    year = table_year(c.request_date)
    coefficient = law_coefficient(c.members)
    published = PUBLISHED_BASE[(c.territory, year)] * coefficient
    of_base = 10166 if year == 2024 else OPENFISCA_PLAFOND_2025
    openfisca = round(of_base * (1 + (DOM_MAJORATION if c.territory == "dom" else 0)) * coefficient)
    free = [published, float(openfisca), float(int(published))]
    part = [published * PARTICIPATION_MULT, openfisca * PARTICIPATION_MULT, float(int(published * PARTICIPATION_MULT))]
    persons = sum(1 for m in c.members if m.in_foyer)
    index = min(persons, 3) - 1
    rsa = RSA_BASE[year] * RSA_FOYER[index]
    if c.aid_cents > 0:
        forfait = 12 * min(c.aid_cents / 100, rsa * FORFAIT_AID[index])
    elif c.status in ("owner", "housed_free"):
        forfait = 12 * rsa * FORFAIT_OWNER[index]
    else:
        forfait = 0.0
    return {"free": free, "participation": part, "forfait": forfait, "coefficient": coefficient}


def pick_birth(rng: random.Random, age: int, request: dt.date) -> dt.date:
    """A birth date giving `age` on the request date, on 1 January of its year and on the first
    of its month: the birthday is 1 January or falls after the request month (difference 4)."""
    y, m = request.year, request.month
    if rng.random() < 0.08:
        birth = dt.date(y - age, 1, 1)
    else:
        birth = dt.date(y - age - 1, rng.randint(m + 1, 12), rng.randint(1, 28))
    first = request.replace(day=1)
    assert age_on(birth, request) == age == age_on(birth, dt.date(y, 1, 1)) == age_on(birth, first)
    return birth


def adult_age(rng: random.Random, low: int) -> int:
    """Adults, with the participation bracket edges (29/30, 49/50, 59/60, 69/70) well covered."""
    edges = [a for a in (29, 30, 49, 50, 59, 60, 69, 70) if a >= low]
    if edges and rng.random() < 0.35:
        return rng.choice(edges)
    return rng.randint(low, max(low, 88))


def generate(n: int, seed: int) -> list[Case]:
    rng = random.Random(seed)
    cases: list[Case] = []
    zones = ["deep_free", "free_edge", "part_low_edge", "part_mid", "part_high_edge", "over_edge", "over_far"]
    zone_weights = [2, 3, 3, 2, 3, 3, 2]
    while len(cases) < n:
        k = len(cases)
        dom = rng.random() < 0.1
        territory = "dom" if dom else "metropole"
        year, month = rng.choice(DOM_MONTHS if dom else METRO_MONTHS)
        request = dt.date(year, month, rng.randint(1, 28))
        size = rng.choices([1, 2, 3, 4, 5, 6], weights=[4, 4, 4, 3, 2, 2])[0]
        couple = size >= 2 and rng.random() < 0.55
        n_dep = size - 1 - int(couple)

        # Dependants: 0 to 23 (difference 5), born at least 40 days apart (difference 7).
        deps: list[Member] = []
        while len(deps) < n_dep:
            relation = "other" if rng.random() < 0.1 else "child"
            age = rng.randint(0, 23)
            birth = pick_birth(rng, age, request)
            if any(abs((birth - d.birth).days) < 40 for d in deps):
                continue
            alternating = relation == "child" and age < 18 and rng.random() < 0.3
            deps.append(Member(relation, birth, age, alternating))
        eldest = max((d.age for d in deps), default=0)
        applicant_age = adult_age(rng, max(18, eldest + 18) if deps else 18)
        members = [Member("applicant", pick_birth(rng, applicant_age, request), applicant_age)]
        if couple:
            spouse_age = min(90, max(18, applicant_age + rng.randint(-10, 10)))
            members.append(Member("spouse", pick_birth(rng, spouse_age, request), spouse_age))
        members += deps
        # Household members outside the foyer (difference 5: 27 and over).
        if rng.random() < 0.12:
            relation = rng.choice(["child", "other"])
            age = rng.randint(27, 40) if relation == "child" else rng.randint(27, 85)
            members.append(Member(relation, pick_birth(rng, age, request), age, in_foyer=False,
                                  salary_cents=rng.randint(0, 2_000_000)))
        rng.shuffle(members)  # the order given must not matter

        # Housing (difference 6: aid for tenants only).
        status = rng.choices(["tenant", "tenant_aid", "owner", "housed_free", "homeless"], weights=[2, 3, 2, 2, 1])[0]
        aid = 0
        if status == "tenant_aid":
            status = "tenant"
            persons = sum(1 for m in members if m.in_foyer)
            cap = RSA_BASE[table_year(request)] * RSA_FOYER[min(persons, 3) - 1] * FORFAIT_AID[min(persons, 3) - 1]
            aid_eur = rng.uniform(5, cap - 3) if rng.random() < 0.4 else rng.uniform(cap + 3, 550)
            aid = int(aid_eur * 100)

        case = Case(f"c{k + 1:03d}", request, territory, rng.choice(DOM_DEPCOM) if dom else "75056",
                    members, status, aid, 0, rng.choices(zones, weights=zone_weights)[0])
        law = law_values(case)
        f_lo, f_hi = min(law["free"]), max(law["free"])
        p_lo, p_hi = min(law["participation"]), max(law["participation"])
        m = MARGIN_EUR
        lo, hi = {
            "deep_free": (0, f_lo - 400),
            "free_edge": (f_lo - 400, f_lo - m),
            "part_low_edge": (f_hi + m, f_hi + 400),
            "part_mid": (f_hi + 400, p_lo - 400),
            "part_high_edge": (p_lo - 400, p_lo - m),
            "over_edge": (p_hi + m, p_hi + 400),
            "over_far": (p_hi + 400, p_hi + 25000),
        }[case.zone]
        lo = max(lo, law["forfait"])  # resources cannot be negative
        if hi - lo < 2:
            continue
        considered = rng.uniform(lo + 1, hi - 1)
        case.resources_cents = int((considered - law["forfait"]) * 100)
        considered = case.resources_cents / 100 + law["forfait"]
        if min(abs(considered - x) for x in law["free"] + law["participation"]) < m:
            continue
        case.law = {**law, "considered": considered}
        # Split the resources between the applicant, the spouse and sometimes a dependant >= 16.
        earners = [x for x in members if x.in_foyer and (x.relation in ("applicant", "spouse") or x.age >= 16)]
        earners = [x for x in earners if x.relation in ("applicant", "spouse")] + \
                  [x for x in earners if x.relation not in ("applicant", "spouse") and rng.random() < 0.3]
        weights = [rng.random() + 0.05 for _ in earners]
        remaining = case.resources_cents
        for x, w in zip(earners[:-1], weights[:-1]):
            share = int(case.resources_cents * w / sum(weights))
            x.salary_cents = share
            remaining -= share
        earners[-1].salary_cents = remaining
        cases.append(case)
    return cases


def describe(c: Case) -> str:
    letters = {"applicant": "A", "spouse": "S", "child": "C", "other": "O"}
    order = {"applicant": 0, "spouse": 1, "child": 2, "other": 2}
    parts = []
    for m in sorted(c.members, key=lambda m: (not m.in_foyer, order[m.relation], m.birth)):
        s = f"{letters[m.relation]}{m.age}" + ("½" if m.alternating else "")
        parts.append(s if m.in_foyer else f"[{s}]")
    return " ".join(parts)


def housing_label(c: Case) -> str:
    return f"tenant+aid {c.aid_cents / 100:.0f}" if c.aid_cents else c.status


# ------------------------------------------------------------------ OpenFisca


def run_openfisca(cases: list[Case]) -> dict[str, dict]:
    import numpy as np
    from openfisca_core import periods
    from openfisca_core.reforms import Reform
    from openfisca_core.simulation_builder import SimulationBuilder
    from openfisca_france import FranceTaxBenefitSystem
    from openfisca_france.model.base import TypesStatutOccupationLogement

    class C2S2025(Reform):
        name = "C2S ceilings from 1 April 2025 (published table)"

        def apply(self):
            def modify(parameters):
                parameters.prestations_sociales.solidarite_insertion.minima_sociaux.cs.cmu.plafond_base.update(
                    start=periods.instant("2025-04-01"), value=OPENFISCA_PLAFOND_2025)
                return parameters
            self.modify_parameters(modifier_function=modify)

    t_load = time.monotonic()
    tbs = C2S2025(FranceTaxBenefitSystem())
    TIMINGS["openfisca load"] = time.monotonic() - t_load

    # Entities: one famille / foyer_fiscal / menage per case, plus one famille and foyer_fiscal
    # for each household member outside the foyer.
    person_ids, fam_of, fam_role, foy_of, foy_role, men_of, men_role = [], [], [], [], [], [], []
    fam_ids, foy_ids, men_ids, case_fam_index = [], [], [], []
    persons_of_case: list[list[tuple[int, Member]]] = []
    for ci, c in enumerate(cases):
        men_id = f"m{ci:04d}"
        men_ids.append(men_id)
        main_fam = f"f{ci:04d}-0"
        case_fam_index.append(len(fam_ids))
        fam_ids.append(main_fam)
        foy_ids.append(main_fam)
        persons_of_case.append([])
        extra = 0
        for pi, m in enumerate(c.members):
            pid = f"p{ci:04d}-{pi}"
            persons_of_case[-1].append((len(person_ids), m))
            person_ids.append(pid)
            men_of.append(men_id)
            if m.in_foyer:
                fam_of.append(main_fam)
                foy_of.append(main_fam)
                role = {"applicant": "demandeur", "spouse": "conjoint"}.get(m.relation, "enfant")
                fam_role.append(role)
                foy_role.append({"demandeur": "declarant_principal", "conjoint": "conjoint"}.get(role, "personne_a_charge"))
                men_role.append({"demandeur": "personne_de_reference", "conjoint": "conjoint"}.get(role, "enfant"))
            else:
                extra += 1
                own = f"f{ci:04d}-{extra}"
                fam_ids.append(own)
                foy_ids.append(own)
                fam_of.append(own)
                foy_of.append(own)
                fam_role.append("demandeur")
                foy_role.append("declarant_principal")
                men_role.append("autre")

    sb = SimulationBuilder()
    sb.create_entities(tbs)
    sb.declare_person_entity("individu", person_ids)
    for key, ids, of, roles in (("famille", fam_ids, fam_of, fam_role),
                                ("foyer_fiscal", foy_ids, foy_of, foy_role),
                                ("menage", men_ids, men_of, men_role)):
        population = sb.declare_entity(key, ids)
        sb.join_with_persons(population, np.array(of), np.array(roles))
    sim = sb.build(tbs)

    n_persons, n_fam, n_men = len(person_ids), len(fam_ids), len(men_ids)
    birth = np.empty(n_persons, dtype="datetime64[D]")
    alternating = np.zeros(n_persons, dtype=bool)
    for ci, c in enumerate(cases):
        for idx, m in persons_of_case[ci]:
            birth[idx] = np.datetime64(m.birth.isoformat())
            alternating[idx] = m.alternating
    sim.set_input("date_naissance", "ETERNITY", birth)

    request_months = sorted({(c.request_date.year, c.request_date.month) for c in cases})
    month_key = lambda y, m: f"{y:04d}-{m:02d}"  # noqa: E731
    all_months = sorted({add_months(y, m, k) for (y, m) in request_months for k in range(-12, 0)})

    # Salaries over each case's 12 months before the request month (difference 2).
    salaries = {ym: np.zeros(n_persons, dtype=np.float64) for ym in all_months}
    for ci, c in enumerate(cases):
        y, mo = c.request_date.year, c.request_date.month
        for k in range(-12, 0):
            for idx, m in persons_of_case[ci]:
                salaries[add_months(y, mo, k)][idx] = m.salary_cents / 100 / 12
    zeros_fam = np.zeros(n_fam)
    zeros_ind = np.zeros(n_persons)
    for ym in all_months:
        period = month_key(*ym)
        sim.set_input("salaire_net", period, salaries[ym])
        for var in ("af", "asf", "cf", "paje_clca", "paje_prepare", "aspa"):
            sim.set_input(var, period, zeros_fam)
        for var in ("aah", "asi"):
            sim.set_input(var, period, zeros_ind)

    status_name = {"tenant": "locataire_vide", "owner": "proprietaire", "housed_free": "loge_gratuitement",
                   "homeless": "sans_domicile"}
    statut = TypesStatutOccupationLogement.encode(np.array([status_name[c.status] for c in cases]))
    depcom = np.array([c.depcom for c in cases])
    aid = np.zeros(n_fam)
    for ci, c in enumerate(cases):
        aid[case_fam_index[ci]] = c.aid_cents / 100
    for ym in request_months:
        period = month_key(*ym)
        sim.set_input("statut_occupation_logement", period, statut)
        sim.set_input("depcom", period, depcom)
        sim.set_input("aide_logement", period, aid)
        sim.set_input("rsa", period, zeros_fam)
        sim.set_input("garde_alternee", period, alternating)

    t_compute = time.monotonic()
    results: dict[str, dict] = {}
    variables = ["css_cmu_acs_eligibilite", "cmu_c", "css_participation_forfaitaire", "cmu_c_plafond",
                 "acs_plafond", "css_cmu_base_ressources", "css_cmu_forfait_logement_base",
                 "css_cmu_forfait_logement_al", "cmu_nbp_foyer"]
    for ym in request_months:
        period = month_key(*ym)
        values = {v: sim.calculate(v, period) for v in variables}
        statut_now = sim.calculate("statut_occupation_logement", period).decode_to_str()
        for ci, c in enumerate(cases):
            if (c.request_date.year, c.request_date.month) != ym:
                continue
            f = case_fam_index[ci]
            v = {name: values[name][f] for name in variables}
            owner_like = statut_now[ci] in ("proprietaire", "loge_gratuitement")
            forfait = float(v["css_cmu_forfait_logement_base"]) * owner_like + float(v["css_cmu_forfait_logement_al"])
            base = float(v["css_cmu_base_ressources"])
            if bool(v["cmu_c"]):
                outcome = "free"
            elif base <= float(v["acs_plafond"]):
                outcome = "participation"
            else:
                outcome = "over_ceiling"
            results[c.id] = {
                "eligible": bool(v["css_cmu_acs_eligibilite"]),
                "outcome": outcome,
                "monthly_participation_cents": int(round(float(v["css_participation_forfaitaire"]) * 100)),
                "ceiling_free": float(v["cmu_c_plafond"]),
                "ceiling_participation": float(v["acs_plafond"]),
                "base": base,
                "forfait": forfait,
                "persons": int(v["cmu_nbp_foyer"]),
            }
    TIMINGS["openfisca compute"] = time.monotonic() - t_compute
    return results


# ------------------------------------------------------------------ our engine


def engine_input(c: Case) -> dict:
    return {
        "id": c.id,
        "request_date": c.request_date.isoformat(),
        "territory": c.territory,
        "household": [{"relation": m.relation, "birth_date": m.birth.isoformat(), "alternating_custody": m.alternating}
                      for m in c.members],
        "resources_annual_cents": c.resources_cents,
        "housing": {"status": c.status, "housing_aid_cents": c.aid_cents},
    }


def run_engine(binary: str, cases: list[Case]) -> dict[str, dict]:
    stdin = "".join(json.dumps(engine_input(c)) + "\n" for c in cases)
    proc = subprocess.run([binary], input=stdin, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"oracle: {binary} exited with {proc.returncode}")
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if len(lines) != len(cases):
        raise SystemExit(f"oracle: {binary} answered {len(lines)} lines for {len(cases)} cases")
    out = {}
    for c, line in zip(cases, lines):
        answer = json.loads(line)
        if answer.get("id") != c.id:
            raise SystemExit(f"oracle: answer out of order: expected {c.id}, got {answer.get('id')}")
        out[c.id] = answer
    return out


# ------------------------------------------------------------------ comparison


def eur(cents) -> str:
    return "-" if cents is None else f"{cents / 100:,.0f}".replace(",", " ")


def compare(cases: list[Case], of: dict[str, dict], ours: dict[str, dict]) -> list[tuple[Case, str]]:
    failures = []
    for c in cases:
        o, e = of[c.id], ours[c.id]
        problems = []
        # Harness checks: OpenFisca must see exactly the resources given to the engine.
        if not o["eligible"]:
            problems.append("harness: OpenFisca css_cmu_acs_eligibilite is false")
        if abs((o["base"] - o["forfait"]) - c.resources_cents / 100) > 1.0:
            problems.append(f"harness: OpenFisca resources {o['base'] - o['forfait']:.2f} != {c.resources_cents / 100:.2f}")
        if e.get("provisional"):
            problems.append("harness: the engine answered on provisional ceilings")
        if o["outcome"] != e.get("outcome"):
            problems.append("outcome")
        elif o["monthly_participation_cents"] != e.get("monthly_participation_cents"):
            problems.append("participation amount")
        if problems:
            hints = []
            if "forfait_logement_annual_cents" in e and abs(e["forfait_logement_annual_cents"] / 100 - o["forfait"]) > 1:
                hints.append(f"forfait {e['forfait_logement_annual_cents'] / 100:.0f} vs OF {o['forfait']:.0f}")
            if "ceiling_free_cents" in e and abs(e["ceiling_free_cents"] / 100 - o["ceiling_free"]) > 5:
                hints.append(f"free ceiling {e['ceiling_free_cents'] / 100:.0f} vs OF {o['ceiling_free']:.0f}")
            if "ceiling_participation_cents" in e and abs(e["ceiling_participation_cents"] / 100 - o["ceiling_participation"]) > 5:
                hints.append(f"part. ceiling {e['ceiling_participation_cents'] / 100:.0f} vs OF {o['ceiling_participation']:.0f}")
            if "error" in e:
                hints.append(f"engine error: {e['error']}")
            failures.append((c, "; ".join(problems + hints)))
    return failures


def print_table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(r, widths)))


def row(c: Case, of: dict, e: dict, why: str) -> list[str]:
    terr = "DOM" if c.territory == "dom" else "metro"
    return [
        c.id, terr, c.request_date.isoformat(), describe(c), housing_label(c), eur(c.resources_cents),
        f"{of['outcome']} {eur(of['monthly_participation_cents'])}",
        f"{of['ceiling_free']:.0f}/{of['ceiling_participation']:.0f}", f"{of['base']:.0f}",
        f"{e.get('outcome', '?')} {eur(e.get('monthly_participation_cents'))}",
        f"{eur(e.get('ceiling_free_cents'))}/{eur(e.get('ceiling_participation_cents'))}",
        eur(e.get("resources_considered_cents")), why,
    ]


HEADER = ["id", "terr", "request", "foyer", "housing", "resources", "OpenFisca (€/month)", "OF ceilings",
          "OF base", "engine (€/month)", "engine ceilings", "engine base", "why"]


def main() -> int:
    here = Path(__file__).resolve()
    default_engine = os.environ.get("C2S_ESTIMATE_BIN") or str(here.parents[2] / "target/debug/examples/estimate")
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", default=default_engine)
    ap.add_argument("--cases", type=int, default=DEFAULT_CASES)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--all", action="store_true", help="print every case")
    args = ap.parse_args()

    if not os.access(args.engine, os.X_OK):
        print(f"oracle: engine not found or not executable: {args.engine} "
              "(build it: cargo build -q -p c2s-domain --example estimate)", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    cases = generate(args.cases, args.seed)
    t1 = time.monotonic()
    of = run_openfisca(cases)
    t2 = time.monotonic()
    ours = run_engine(args.engine, cases)
    t3 = time.monotonic()
    failures = compare(cases, of, ours)

    n_dom = sum(c.territory == "dom" for c in cases)
    print(f"oracle: {len(cases)} cases (seed {args.seed}; {len(cases) - n_dom} metropole, {n_dom} DOM; "
          f"{len({c.request_date.replace(day=1) for c in cases})} request months) against {args.engine}")
    outcomes = {}
    for c in cases:
        outcomes[of[c.id]["outcome"]] = outcomes.get(of[c.id]["outcome"], 0) + 1
    print("oracle: OpenFisca outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    if args.all:
        why = dict((c.id, w) for c, w in failures)
        print_table([row(c, of[c.id], ours[c.id], why.get(c.id, "ok")) for c in cases], HEADER)
    if failures:
        print(f"\noracle: {len(failures)} disagreement(s) with OpenFisca-France:")
        print_table([row(c, of[c.id], ours[c.id], why) for c, why in failures], HEADER)
        print("(foyer: A applicant, S spouse, C child, O other, then the age; ½ alternating custody; "
              "[..] in the household but outside the foyer)")
    detail = ", ".join(f"{k} {v:.1f} s" for k, v in TIMINGS.items())
    print(f"oracle: time {t3 - t0:.1f} s (generate {t1 - t0:.1f} s, OpenFisca {t2 - t1:.1f} s [{detail}], "
          f"engine {t3 - t2:.1f} s)")
    print(f"{len(cases) - len(failures)} passed, {len(failures)} failed")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
