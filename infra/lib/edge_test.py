"""The edge protection of template.yaml and infra/waf.yaml (README, "Edge protection"): what
AWS would refuse only at deploy time (a throttle for a route that does not exist), and what
would quietly lapse when a route, a function or a bucket is added.

    infra/.venv/bin/python -m unittest discover -s infra/lib -p '*_test.py'
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from samtranslator.yaml_helper import yaml_parse  # noqa: E402

import policies  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")

# The routes anyone may call without a session, and those that check a secret (a letter's
# answers, a password): each costs table writes or an argon2 hash.
EXPOSED = {
    "POST /api/auth/beneficiary",
    "POST /api/auth/beneficiary/step-up",
    "POST /api/auth/partner",
    "POST /api/eligibility/estimate",
    "POST /api/partner/activate",
    "POST /api/partner/password",
    "POST /api/partner/renewals",
}

# Buckets that need no access log of their own, and why.
UNLOGGED = {
    "WebBucket": "public pages, read only through the distribution, whose own logs record every read",
    "VirusDefinitionsBucket": "ClamAV's public definitions, written by the updater alone",
}


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


class Template(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        text = read("template.yaml")
        cls.raw = yaml_parse(text)["Resources"]
        cls.deployed = policies.translate(text, "eu-west-3")["Resources"]
        cls.routes = {}
        for name, r in cls.raw.items():
            if r["Type"] != "AWS::Serverless::Function":
                continue
            for event in r["Properties"].get("Events", {}).values():
                if event["Type"] == "HttpApi":
                    p = event["Properties"]
                    cls.routes[f"{p['Method'].upper()} {p['Path']}"] = name
        stages = [r for r in cls.deployed.values() if r["Type"] == "AWS::ApiGatewayV2::Stage"]
        if len(stages) != 1:
            raise AssertionError(f"one stage expected, found {len(stages)}")
        cls.stage = stages[0]["Properties"]

    def test_each_route_setting_names_a_route_of_the_template(self):
        settings = self.stage.get("RouteSettings", {})
        self.assertTrue(settings, "no route has its own ceiling")
        self.assertEqual(set(settings) - set(self.routes), set(), "CloudFormation refuses a setting for a route that does not exist")

    def test_exposed_routes_have_a_lower_ceiling_than_the_others(self):
        self.assertEqual(EXPOSED - set(self.routes), set(), "a route of EXPOSED is no longer in the template")
        default = self.stage["DefaultRouteSettings"]
        settings = self.stage.get("RouteSettings", {})
        for route in sorted(EXPOSED):
            with self.subTest(route=route):
                self.assertIn(route, settings)
                self.assertLess(settings[route]["ThrottlingRateLimit"], default["ThrottlingRateLimit"])
                self.assertLess(settings[route]["ThrottlingBurstLimit"], default["ThrottlingBurstLimit"])

    def test_functions_behind_exposed_routes_have_reserved_concurrency(self):
        for function in sorted({self.routes[r] for r in EXPOSED}):
            with self.subTest(function=function):
                reserved = self.raw[function]["Properties"].get("ReservedConcurrentExecutions", 0)
                self.assertGreater(reserved, 0)

    def test_with_its_origin_the_api_answers_cloudfront_alone(self):
        api = self.raw["HttpApi"]["Properties"]
        self.assertEqual(api.get("DisableExecuteApiEndpoint"), {"Fn::If": ["HasApiOrigin", True, False]})
        domain = self.raw["ApiOriginDomain"]
        self.assertEqual(domain.get("Condition"), "HasApiOrigin")
        self.assertIn("TruststoreUri", domain["Properties"].get("MutualTlsAuthentication", {}))
        origins = self.raw["Distribution"]["Properties"]["DistributionConfig"]["Origins"]
        (origin,) = [o for o in origins if o["Id"] == "api"]
        self.assertEqual(origin["DomainName"]["Fn::If"][:2], ["HasApiOrigin", {"Ref": "ApiOriginDomainName"}])
        mtls = origin["CustomOriginConfig"]["OriginMtlsConfig"]["Fn::If"]
        self.assertEqual(mtls[:2], ["HasApiOrigin", {"ClientCertificateArn": {"Ref": "ApiOriginClientCertificateArn"}}])

    def test_the_distribution_has_its_web_acl_and_its_logs(self):
        config = self.raw["Distribution"]["Properties"]["DistributionConfig"]
        self.assertEqual(config.get("WebACLId"), {"Fn::If": ["HasWebAcl", {"Ref": "WebAclArn"}, {"Ref": "AWS::NoValue"}]})
        bucket = config["Logging"]["Bucket"]["Fn::GetAtt"][0]
        self.assert_log_bucket(bucket)
        # CloudFront's standard logs are delivered by ACL.
        ownership = self.raw[bucket]["Properties"]["OwnershipControls"]["Rules"][0]["ObjectOwnership"]
        self.assertEqual(ownership, "BucketOwnerPreferred")

    def test_the_api_stage_logs_every_request_for_a_year(self):
        settings = self.stage["AccessLogSettings"]
        group = self.raw[settings["DestinationArn"]["Fn::GetAtt"][0]]["Properties"]
        self.assertEqual(group["RetentionInDays"], 365)
        self.assertIn("$context.requestId", settings["Format"])
        # Route templates only: a path or a query could carry what the log must not.
        self.assertNotIn("$context.path", settings["Format"])

    def test_every_bucket_of_the_service_logs_its_access(self):
        targets = set()
        for name, r in self.raw.items():
            if r["Type"] != "AWS::S3::Bucket":
                continue
            logging = r["Properties"].get("LoggingConfiguration")
            if logging:
                targets.add(logging["DestinationBucketName"]["Ref"])
        cdn = self.raw["Distribution"]["Properties"]["DistributionConfig"]["Logging"]["Bucket"]["Fn::GetAtt"][0]
        for name, r in self.raw.items():
            if r["Type"] != "AWS::S3::Bucket" or name in targets or name == cdn or name in UNLOGGED:
                continue
            with self.subTest(bucket=name):
                self.assertIn("LoggingConfiguration", r["Properties"])
        self.assertTrue(targets)
        for target in targets:
            self.assert_log_bucket(target)

    def assert_log_bucket(self, name):
        props = self.raw[name]["Properties"]
        rules = props["LifecycleConfiguration"]["Rules"]
        self.assertTrue(any(r.get("ExpirationInDays") == 365 for r in rules), f"{name}: logs kept a year, then deleted")
        encryption = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
        # S3's server access logs and CloudFront's standard logs can be written with SSE-S3 only.
        self.assertEqual(encryption["SSEAlgorithm"], "AES256", name)


class WebAcl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.acl = yaml_parse(read("infra/waf.yaml"))["Resources"]["WebAcl"]["Properties"]
        cls.rules = {r["Name"]: r for r in cls.acl["Rules"]}

    def rate(self, name):
        return self.rules[name]["Statement"]["RateBasedStatement"]

    def test_it_is_for_cloudfront(self):
        self.assertEqual(self.acl["Scope"], "CLOUDFRONT")

    def test_sign_ins_and_estimates_are_limited_per_address_and_per_ipv6_network(self):
        for what in ("sign-in", "estimate"):
            with self.subTest(what=what):
                per_address = self.rate(f"{what}-per-address")
                self.assertEqual(per_address["AggregateKeyType"], "IP")
                self.assertEqual(per_address["ScopeDownStatement"]["LabelMatchStatement"]["Key"], what)
                per_network = self.rate(f"{what}-per-ipv6-network")
                self.assertEqual(per_network["CustomKeys"], [{"ASN": {}}])
                keys = [s["LabelMatchStatement"]["Key"] for s in per_network["ScopeDownStatement"]["AndStatement"]["Statements"]]
                self.assertEqual(sorted(keys), sorted(["ipv6", what]))
                self.assertGreater(per_network["Limit"], per_address["Limit"])

    def test_labels_come_before_the_rules_that_count_by_them(self):
        labelled = {}
        for r in self.acl["Rules"]:
            for label in r.get("RuleLabels", []):
                labelled[label["Name"]] = r["Priority"]
        for r in self.acl["Rules"]:
            statement = r["Statement"].get("RateBasedStatement", {}).get("ScopeDownStatement", {})
            keys = [statement.get("LabelMatchStatement", {}).get("Key")]
            keys += [s.get("LabelMatchStatement", {}).get("Key") for s in statement.get("AndStatement", {}).get("Statements", [])]
            for key in filter(None, keys):
                with self.subTest(rule=r["Name"], label=key):
                    self.assertLess(labelled[key], r["Priority"])

    def test_every_block_of_a_limit_answers_429_in_french(self):
        body = self.acl["CustomResponseBodies"]["too-many-requests"]
        self.assertIn("Réessayez", body["Content"])
        for r in self.acl["Rules"]:
            if "RateBasedStatement" in r["Statement"]:
                with self.subTest(rule=r["Name"]):
                    response = r["Action"]["Block"]["CustomResponse"]
                    self.assertEqual((response["ResponseCode"], response["CustomResponseBodyKey"]), (429, "too-many-requests"))


if __name__ == "__main__":
    unittest.main()
