"""How permissions.py reads a policy, and what policies.py makes of template.yaml.

    infra/.venv/bin/python -m unittest discover -s infra/lib -p '*_test.py'
"""

import io
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import permissions  # noqa: E402
import policies  # noqa: E402

KEY = "arn:aws:kms:eu-west-3:123456789012:key/k1"
TABLE = "arn:aws:dynamodb:eu-west-3:123456789012:table/t-Renewals"
VIA_DYNAMODB = {"kms:ViaService": "dynamodb.eu-west-3.amazonaws.com"}


def allowed(statements, action, resource, context=None):
    return permissions.allowed(statements, action, resource, context or {})[0]


class Evaluation(unittest.TestCase):
    def test_an_allow_must_name_the_action_and_the_resource(self):
        s = [{"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": [TABLE]}]
        self.assertTrue(allowed(s, "dynamodb:GetItem", TABLE))
        self.assertTrue(allowed(s, "DynamoDB:getitem", TABLE), "actions ignore case")
        self.assertFalse(allowed(s, "dynamodb:PutItem", TABLE))
        self.assertFalse(allowed(s, "dynamodb:GetItem", TABLE + "/index/by_x"), "an index is its own resource")

    def test_wildcards_match_actions_and_resources(self):
        s = [{"Effect": "Allow", "Action": ["s3:Get*"], "Resource": ["arn:aws:s3:::b/renewals/*"]}]
        self.assertTrue(allowed(s, "s3:GetObject", "arn:aws:s3:::b/renewals/r1/d1"))
        self.assertFalse(allowed(s, "s3:GetObject", "arn:aws:s3:::b/inbound/x"))
        q = [{"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": ["arn:aws:secretsmanager:r:1:secret:p/c2s/hash-key-??????"]}]
        self.assertTrue(allowed(q, "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:r:1:secret:p/c2s/hash-key-AbC123"))
        self.assertFalse(allowed(q, "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:r:1:secret:p/c2s/hash-key-AbC1234"))

    def test_an_explicit_deny_wins(self):
        s = [
            {"Effect": "Allow", "Action": ["sns:Publish"], "Resource": ["*"]},
            {"Effect": "Deny", "Action": ["sns:Publish"], "Resource": ["arn:aws:sns:*:*:*"]},
        ]
        self.assertTrue(allowed(s, "sns:Publish", "*"), "an SMS names no resource")
        self.assertFalse(allowed(s, "sns:Publish", "arn:aws:sns:eu-west-3:1:topic"))

    def test_not_action_and_not_resource(self):
        s = [{"Effect": "Allow", "NotAction": ["iam:*"], "NotResource": ["arn:aws:s3:::secret/*"]}]
        self.assertTrue(allowed(s, "s3:GetObject", "arn:aws:s3:::b/k"))
        self.assertFalse(allowed(s, "iam:CreateUser", "*"))
        self.assertFalse(allowed(s, "s3:GetObject", "arn:aws:s3:::secret/k"))

    def test_conditions_on_the_keys_this_layer_knows(self):
        s = [{"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [KEY], "Condition": {"StringEquals": {"kms:ViaService": ["dynamodb.eu-west-3.amazonaws.com", "sqs.eu-west-3.amazonaws.com"]}}}]
        self.assertTrue(allowed(s, "kms:Decrypt", KEY, VIA_DYNAMODB))
        self.assertFalse(allowed(s, "kms:Decrypt", KEY, {"kms:ViaService": "s3.eu-west-3.amazonaws.com"}))
        self.assertFalse(allowed(s, "kms:Decrypt", KEY), "a direct call has no kms:ViaService")
        ses = [{"Effect": "Allow", "Action": ["ses:SendEmail"], "Resource": ["*"], "Condition": {"StringEquals": {"ses:FromAddress": "a@b.fr"}}}]
        self.assertTrue(allowed(ses, "ses:SendEmail", "x", {"ses:FromAddress": "a@b.fr"}))
        self.assertFalse(allowed(ses, "ses:SendEmail", "x", {"ses:FromAddress": "c@b.fr"}))

    def test_a_condition_it_cannot_evaluate_narrows_an_allow_and_keeps_a_deny(self):
        unknown = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
        allow = [{"Effect": "Allow", "Action": ["*"], "Resource": ["*"], "Condition": unknown}]
        self.assertFalse(allowed(allow, "s3:GetObject", "arn:aws:s3:::b/k"))
        deny = [{"Effect": "Allow", "Action": ["*"], "Resource": ["*"]}, {"Effect": "Deny", "Action": ["*"], "Resource": ["*"], "Condition": unknown}]
        self.assertFalse(allowed(deny, "s3:GetObject", "arn:aws:s3:::b/k"))


class Template(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        here = os.path.dirname(os.path.abspath(__file__))
        with open(os.path.join(here, "..", "..", "template.yaml"), encoding="utf-8") as f:
            text = f.read()
        arns = {"DataKey": KEY, "RenewalsTable": TABLE}

        class Names(dict):
            def __missing__(self, key):
                return arns.get(key, f"arn:aws:test:::{key}")

        context = {
            "pseudo": {"AWS::Region": "eu-west-3", "AWS::AccountId": "123456789012", "AWS::Partition": "aws", "AWS::StackName": "t", "AWS::URLSuffix": "amazonaws.com"},
            "refs": Names(),
            "arns": Names(),
        }
        cls.functions = policies.effective(text, context)
        cls.buckets = policies.bucket_policies(text, context)

    def test_every_function_has_its_own_role(self):
        roles = [f["role"] for f in self.functions.values()]
        self.assertGreaterEqual(len(roles), 15)
        self.assertEqual(len(roles), len(set(roles)))

    def test_sam_adds_what_an_sqs_consumer_needs_and_the_template_the_queue_key(self):
        worker = self.functions["PurgeWorkerFunction"]["statements"]
        queue = "arn:aws:sqs:eu-west-3:123456789012:t-PurgeQueue"
        self.assertTrue(allowed(worker, "sqs:ReceiveMessage", queue), "AWSLambdaSQSQueueExecutionRole")
        self.assertTrue(allowed(worker, "kms:Decrypt", KEY, {"kms:ViaService": "sqs.eu-west-3.amazonaws.com"}))
        self.assertFalse(allowed(worker, "kms:Decrypt", KEY), "only through the services that need it")

    def test_the_documents_bucket_refuses_an_upload_that_may_replace_an_object(self):
        policy = self.buckets["arn:aws:test:::DocumentsBucket"]
        upload = permissions.Principal("t", "UploadFunction", "UploadFunctionRole", "123456789012", [])
        obj = "arn:aws:test:::DocumentsBucket/renewals/r1/d1"
        tls = {"aws:SecureTransport": "true"}
        self.assertTrue(permissions.denies(policy, upload, "s3:PutObject", obj, tls))
        self.assertFalse(permissions.denies(policy, upload, "s3:PutObject", obj, {**tls, "s3:if-none-match": "*"}))
        self.assertTrue(permissions.denies(policy, upload, "s3:GetObject", obj, {"aws:SecureTransport": "false"}))

    def test_only_the_import_reads_what_the_national_system_deposits(self):
        policy = self.buckets["arn:aws:test:::ExchangeBucket"]
        inbound = "arn:aws:test:::ExchangeBucket/inbound/beneficiaries/f.jsonl"

        def reads(function, key=inbound):
            role = f"{function}Role"
            who = permissions.Principal("t", function, role, "123456789012", [])
            context = {"aws:SecureTransport": "true", "aws:PrincipalArn": who.role_arn}
            return not permissions.denies(policy, who, "s3:GetObject", key, context)

        self.assertTrue(reads("SyncInFunction"))
        self.assertFalse(reads("SyncOutFunction"))
        self.assertFalse(reads("PurgeFunction", inbound.replace("beneficiaries/f.jsonl", "acks/a.json")))
        self.assertTrue(reads("SyncOutFunction", inbound.replace("beneficiaries", "rejects")))

    def test_intrinsics_are_resolved_against_the_stack_names(self):
        deadlines = self.functions["DeadlinesFunction"]["statements"]
        self.assertTrue(allowed(deadlines, "dynamodb:Query", TABLE + "/index/by_deadline"))
        self.assertFalse(allowed(deadlines, "dynamodb:Query", TABLE + "/index/by_purge"))


class Calls(unittest.TestCase):
    def test_each_call_of_a_stacks_function_is_counted_by_operation(self):
        statements = [{"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": [TABLE]}]
        functions = {"F": {"role": "FRole", "statements": statements}}
        permissions.register("s-calls", "123456789012", functions, {"F": "KEYCALLS"})
        environ = {
            "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=KEYCALLS/20261201/eu-west-3/dynamodb/aws4_request, SignedHeaders=host, Signature=x",
            "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.GetItem",
        }
        body = b'{"TableName": "t-Renewals", "Key": {"pk": {"S": "a"}}}'

        def call(**changes):
            env = dict(environ, CONTENT_LENGTH=str(len(body)), **{"wsgi.input": io.BytesIO(body)})
            app(dict(env, **changes), lambda *a: None)

        served = []
        app = permissions.middleware(lambda env, start: served.append(1) or [b"{}"])
        call()
        call(HTTP_X_AMZ_TARGET="DynamoDB_20120810.PutItem")
        call(HTTP_AUTHORIZATION="AWS4-HMAC-SHA256 Credential=test/20261201/eu-west-3/dynamodb/aws4_request")
        self.assertEqual(permissions.calls("s-calls"), {"F dynamodb:GetItem": 1, "F dynamodb:PutItem": 1})
        self.assertEqual(len(served), 2)  # the PutItem was refused, still counted as made
        permissions.register("s-calls", "123456789012", functions, {"F": "KEYCALLS"})
        self.assertEqual(permissions.calls("s-calls"), {})


class PolicyTemplates(unittest.TestCase):
    def test_sam_policy_templates_are_expanded(self):
        text = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Books:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      BillingMode: PAY_PER_REQUEST
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: bootstrap
      Runtime: provided.al2023
      Policies:
        - DynamoDBReadPolicy: {TableName: !Ref Books}
"""
        context = {
            "pseudo": {"AWS::Region": "eu-west-3", "AWS::AccountId": "123456789012", "AWS::Partition": "aws"},
            "refs": {"Books": "t-Books"},
            "arns": {"Books": "arn:aws:dynamodb:eu-west-3:123456789012:table/t-Books"},
        }
        reader = policies.effective(text, context)["Reader"]["statements"]
        books = "arn:aws:dynamodb:eu-west-3:123456789012:table/t-Books"
        self.assertTrue(allowed(reader, "dynamodb:Query", books))
        self.assertTrue(allowed(reader, "dynamodb:GetItem", books + "/index/by_author"))
        self.assertFalse(allowed(reader, "dynamodb:PutItem", books))


if __name__ == "__main__":
    unittest.main()
