"""The contract fuzzed: schemathesis over openapi.yaml against a running local stack, once
per kind of caller, each pass with its own token and the ids of real records it may reach.

Run by infra/contract (which starts the stack); by hand against a running ./infra/run:
    infra/.venv-contract/bin/python infra/lib/contract.py http://127.0.0.1:3000

Passes, in this order because each may change what the next one finds (the agent's pass
may deactivate the partner's organisation):
    dev          the development routes (/dev/*), no token
    beneficiary  the sign-ins and the beneficiary's routes, a level-2 beneficiary token
    partner      the partner space, a gestionnaire's token (conditions of use accepted)
    agent        the back-office and partner administration, an agent of every role

Every pass runs `--checks all`; the run fails if any pass reports a failure. Environment:
C2S_CONTRACT_EXAMPLES (test cases per operation and phase, default 15), C2S_CONTRACT_SEED
(default fixed, so that CI runs the same cases; `random` for a new draw),
C2S_CONTRACT_PASSES (a comma-separated subset of the passes).
"""

import json
import os
import random
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CAISSE = "rouen-elbeuf-dieppe"
# The password the partner accounts of the fuzzed stack are activated with.
PASSWORD = "Contrat-fuzz-2026!x"
ROLES = ["instructeur", "superviseur", "dpo", "admin_partenaires"]
PASSES = ["dev", "beneficiary", "partner", "agent"]


class Stack:
    def __init__(self, base):
        self.base = base.rstrip("/")

    def call(self, method, path, token=None, body=None, expect=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("content-type", "application/json")
        if token:
            req.add_header("authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                status, text = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        value = json.loads(text) if text else None
        if expect is not None and status != expect:
            raise SystemExit(f"[contract] setup: {method} {path} answered {status}, expected {expect}: {value}")
        return value

    def agent_token(self, sub):
        body = {"sub": sub, "name": f"Agent {sub}", "caisse": CAISSE, "roles": ROLES}
        return self.call("POST", "/dev/token", body=body, expect=200)["token"]

    def beneficiary(self):
        """A person nobody else used, signed in at level 2: (token, account)."""
        account = self.call("POST", "/dev/beneficiaries", body={"caisse": CAISSE, "months": 2}, expect=201)["account"]
        answers = {k: account[k] for k in ("nir", "birth_date", "renewal_code")}
        token = self.call("POST", "/api/auth/beneficiary", body=answers, expect=200)["token"]
        secrets = {k: account[k] for k in ("iban_last4", "vitale_serial")}
        token = self.call("POST", "/api/auth/beneficiary/step-up", token, secrets, expect=200)["token"]
        return token, account

    def activation_token(self, email):
        for _ in range(300):
            for m in self.call("GET", "/dev/outbox", expect=200)["messages"]:
                if m.get("to") == email and m.get("kind") == "partner_activation":
                    return m["body"].split("#", 1)[1].split()[0]
            time.sleep(0.1)
        raise SystemExit(f"[contract] setup: no activation email for {email}")

    def activate(self, email):
        token = self.activation_token(email)
        self.call("POST", "/api/partner/activate", body={"token": token, "password": PASSWORD}, expect=200)
        signed = self.call("POST", "/api/auth/partner", body={"email": email, "password": PASSWORD}, expect=200)
        self.call("POST", "/api/partner/cgu", signed["token"], {"version": "2026-11"}, expect=200)
        return signed


def setup(stack, run):
    """What the passes reach, as variables of infra/contract.toml: the beneficiary's own draft
    with an announced document; an organisation with a gestionnaire, a technicien and a
    signalement; a submitted file in the agents' queue."""
    admin = stack.agent_token(f"contract-admin-{run}")
    org = stack.call("POST", "/api/agent/partners", admin, {
        "name": f"CCAS contrat {run}", "kind": "ccas", "members": 12, "caisses": [CAISSE],
        "convention": {"caisse": CAISSE, "start": "2025-01-01", "end": "2025-12-31"},
        "email_domains": ["ccas-contrat.fr"],
    }, expect=201)
    pid = org["partner_id"]
    manager = f"gestion-{run}@ccas-contrat.fr"
    stack.call("POST", f"/api/agent/partners/{pid}/managers", admin, {
        "email": manager, "last_name": "Robert", "first_name": "Alix", "function": "Directrice",
    }, expect=201)
    gestionnaire = stack.activate(manager)
    technicien = stack.call("POST", "/api/partner/technicians", gestionnaire["token"], {
        "email": f"tech-{run}@ccas-contrat.fr", "last_name": "Martin", "first_name": "Lou", "function": "Accueil",
    }, expect=201)
    report = stack.call("POST", "/api/partner/reports", gestionnaire["token"], {
        "civility": "madame", "last_name": "Durand", "first_name": "Marie", "birth_date": "1984-05-12",
        "department": "76", "motive": "dossier_complexe", "comment": "Besoin d'aide pour les pièces.",
    }, expect=201)

    # A file in the agents' queue: no income declared, so no document is needed.
    token, _ = stack.beneficiary()
    file = stack.call("POST", "/api/renewals", token, {}, expect=201)
    form = {"version": file["version"], "household": file["household"], "resources": [],
            "housing": {"status": "housed_free"}, "manager": "caisse"}
    stack.call("PUT", f"/api/renewals/{file['id']}", token, form, expect=200)
    stack.call("POST", f"/api/renewals/{file['id']}/submit", token, {}, expect=200)

    # The beneficiary pass's own person, draft and announced document.
    token, person = stack.beneficiary()
    draft = stack.call("POST", "/api/renewals", token, {}, expect=201)
    doc = stack.call("POST", f"/api/renewals/{draft['id']}/documents", token, {
        "kind": "payslip", "filename": "bulletin.pdf", "content_type": "application/pdf", "size": 1000,
    }, expect=201)

    variables = {
        "C2S_DRAFT_ID": draft["id"], "C2S_DOCUMENT_ID": doc["document_id"],
        "C2S_FILE_ID": file["id"], "C2S_PARTNER_ID": pid, "C2S_CAISSE": CAISSE,
        "C2S_ACCOUNT_ID": technicien["account_id"], "C2S_REQUEST_ID": report["request_id"],
    }
    return variables, person, manager


def tokens(stack, name, person, manager, run):
    """A fresh token for the pass (they last 15 minutes); "none" where the pass has none."""
    env = {"C2S_BENEFICIARY_TOKEN": "none", "C2S_PARTNER_TOKEN": "none", "C2S_AGENT_TOKEN": "none"}
    if name == "beneficiary":
        answers = {k: person[k] for k in ("nir", "birth_date", "renewal_code")}
        token = stack.call("POST", "/api/auth/beneficiary", body=answers, expect=200)["token"]
        secrets = {k: person[k] for k in ("iban_last4", "vitale_serial")}
        env["C2S_BENEFICIARY_TOKEN"] = stack.call("POST", "/api/auth/beneficiary/step-up", token, secrets, expect=200)["token"]
    elif name == "partner":
        signed = stack.call("POST", "/api/auth/partner", body={"email": manager, "password": PASSWORD}, expect=200)
        env["C2S_PARTNER_TOKEN"] = signed["token"]
    elif name == "agent":
        env["C2S_AGENT_TOKEN"] = stack.agent_token(f"contract-agent-{run}")
    return env


TAGS = {"dev": ["dev"], "beneficiary": ["public", "beneficiary"], "partner": ["partner"], "agent": ["agent"]}


def schemathesis(stack, name, tags, env, examples, seed, report_dir):
    venv = ROOT / "infra/.venv-contract/bin/schemathesis"
    cmd = [
        str(venv), "--config-file", str(ROOT / "infra/contract.toml"), "run", str(ROOT / "openapi.yaml"),
        "--url", stack.base, "--checks", "all", "--max-examples", str(examples), "--seed", str(seed),
        # One worker: Python 3.11's ast module is not safe across the threads of several
        # (hypothesis describes its filters by parsing their source).
        "--workers", "1", "--no-color",
        "--report", "junit", "--report-junit-path", str(report_dir / f"{name}.xml"),
    ]
    for t in tags:
        cmd += ["--include-tag", t]
    started = time.monotonic()
    rc = subprocess.call(cmd, env={**os.environ, **env}, cwd=report_dir)
    return rc, time.monotonic() - started


def main():
    stack = Stack(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:3000")
    examples = int(os.environ.get("C2S_CONTRACT_EXAMPLES", "15"))
    seed_env = os.environ.get("C2S_CONTRACT_SEED", "20261201")
    seed = random.randrange(2**32) if seed_env == "random" else int(seed_env)
    chosen = [p for p in os.environ.get("C2S_CONTRACT_PASSES", ",".join(PASSES)).split(",") if p]
    report_dir = ROOT / "infra/.run/contract"
    report_dir.mkdir(parents=True, exist_ok=True)
    run = f"{os.getpid()}-{int(time.time())}"

    variables, person, manager = setup(stack, run)
    results = []
    for name in [p for p in PASSES if p in chosen]:
        env = {**variables, **tokens(stack, name, person, manager, run)}
        tags = TAGS[name]
        print(f"\n[contract] pass {name}: {', '.join(tags)} (seed {seed}, {examples} examples)", file=sys.stderr, flush=True)
        rc, seconds = schemathesis(stack, name, tags, env, examples, seed, report_dir)
        results.append((name, rc, seconds))

    print("\n[contract] pass         result   seconds", file=sys.stderr)
    for name, rc, seconds in results:
        print(f"[contract] {name:<12} {'ok' if rc == 0 else 'FAILED':<8} {seconds:7.0f}", file=sys.stderr)
    failed = [n for n, rc, _ in results if rc != 0]
    print(f"contract: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
