"""What checkov_gate.py lets through.

    infra/.venv/bin/python -m unittest discover -s infra/lib -p '*_test.py'
"""

import io
import json
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stdout
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import checkov_gate  # noqa: E402


def failure(check, resource):
    return {"check_id": check, "check_name": "a check", "resource": f"AWS::Serverless::Function.{resource}"}


class Gate(unittest.TestCase):
    def run_gate(self, accepted, failed):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write(accepted)
        self.addCleanup(os.unlink, f.name)
        report = {"results": {"passed_checks": [{}], "failed_checks": failed}}
        out = io.StringIO()
        with mock.patch("sys.stdin", io.StringIO(json.dumps(report))), redirect_stdout(out):
            code = checkov_gate.main(["gate", f.name, "template.yaml"])
        return code, out.getvalue()

    def test_a_failure_passes_only_when_accepted_for_its_resource_or_every_resource(self):
        self.assertEqual(self.run_gate("CKV_1 template.yaml:A why\n", [failure("CKV_1", "A")])[0], 0)
        self.assertEqual(self.run_gate("CKV_1 template.yaml:* why\n", [failure("CKV_1", "B")])[0], 0)
        code, out = self.run_gate("CKV_1 template.yaml:A why\n", [failure("CKV_1", "A"), failure("CKV_1", "B")])
        self.assertEqual(code, 1)
        self.assertIn("FAILED   CKV_1 template.yaml:B", out)

    def test_a_line_of_another_file_accepts_nothing_here(self):
        self.assertEqual(self.run_gate("CKV_1 infra/waf.yaml:* why\n", [failure("CKV_1", "A")])[0], 1)

    def test_an_accepted_line_that_matches_no_failure_fails(self):
        code, out = self.run_gate("CKV_1 template.yaml:A why\nCKV_2 template.yaml:A gone\n", [failure("CKV_1", "A")])
        self.assertEqual(code, 1)
        self.assertIn("STALE", out)

    def test_a_line_without_its_reason_is_refused(self):
        with self.assertRaises(SystemExit):
            self.run_gate("CKV_1 template.yaml:A\n", [])


if __name__ == "__main__":
    unittest.main()
