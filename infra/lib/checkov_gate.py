"""Fails on checkov's failed checks that infra/checkov-accepted.txt does not accept, and on
accepted lines that match no failure any more (the list says exactly what is accepted).

    checkov -f FILE --framework cloudformation -o json | python checkov_gate.py ACCEPTED FILE [--brief]

Reads checkov's JSON on stdin; prints one line per failure (with --brief, the refused ones
only) and a summary.
"""

import json
import sys


def accepted_lines(path):
    """[(check, file, resource or "*", reason, line number)]"""
    out = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            parts = text.split(None, 2)
            if len(parts) < 3 or ":" not in parts[1]:
                raise SystemExit(f"{path}:{number}: expected `CHECK file:resource reason`")
            file, resource = parts[1].split(":", 1)
            out.append((parts[0], file, resource, parts[2], number))
    return out


def main(argv):
    brief = "--brief" in argv
    accepted_path, file = [a for a in argv[1:] if a != "--brief"][:2]
    report = json.load(sys.stdin)
    # One framework gives one report; several give a list of them.
    reports = report if isinstance(report, list) else [report]
    failed = [c for r in reports for c in r.get("results", {}).get("failed_checks", [])]
    passed = sum(len(r.get("results", {}).get("passed_checks", [])) for r in reports)
    lines = [a for a in accepted_lines(accepted_path) if a[1] == file]
    used = set()
    refused = 0
    for check in failed:
        resource = check["resource"].split(".")[-1]
        match = next((a for a in lines if a[0] == check["check_id"] and a[2] in (resource, "*")), None)
        if match is None:
            refused += 1
            print(f"FAILED   {check['check_id']} {file}:{resource}: {check['check_name']}")
        else:
            used.add(match[4])
            if not brief:
                print(f"accepted {check['check_id']} {file}:{resource}: {match[3]}")
    stale = [a for a in lines if a[4] not in used]
    for a in stale:
        print(f"STALE    {accepted_path}:{a[4]}: {a[0]} {file}:{a[2]} no longer fails: remove or update the line")
    print(f"checkov {file}: {passed} passed, {len(failed) - refused} failed and accepted, {refused} failed")
    return 1 if refused or stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
