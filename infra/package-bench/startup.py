"""Start-up of the functions' real binaries (a measurement, not a test).

Plays the Lambda Runtime API on 127.0.0.1 and, for each bootstrap, takes the time from just
before the process is spawned to its first `GET /2018-06-01/runtime/invocation/next`: by
then `main.rs` has read its configuration, fetched its secrets from Secrets Manager and built
its clients and stores. Each binary starts `--runs` times, in rounds that interleave the
binaries so that a burst of load on the machine falls on all of them alike. The environment
is the one template.yaml gives each function (Globals, then its own variables), with
resources named after their logical id, and the secrets created on the emulator the way the
dev server stores them.

    python startup.py --binaries DIR --minimal FILE [--sizes sizes.tsv] [--runs 20]

DIR holds <binary>/bootstrap (cargo lambda's layout); sizes.tsv (binary, arch, zip bytes)
adds the zipped sizes to the table. A function that reads secrets starts twice per round:
with their values in its environment (the time is the binary's own, comparable with the
minimal function's) and with `<NAME>_SECRET` read from the emulator's Secrets Manager (adds
the emulator's round trips). Prints a Markdown table; exit status 1 if a binary never polled.
"""

import argparse
import http.server
import json
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

NEXT = "/2018-06-01/runtime/invocation/next"
INIT_ERROR = "/2018-06-01/runtime/init/error"


class Tag(dict):
    """A CloudFormation intrinsic (`!Ref X` → {"Ref": "X"}), as the JSON form spells it."""


def _intrinsic(loader, tag_suffix, node):
    name = "Ref" if tag_suffix == "Ref" else "Fn::" + tag_suffix
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return Tag({name: value})


class TemplateLoader(yaml.SafeLoader):
    pass


TemplateLoader.add_multi_constructor("!", _intrinsic)


class Resolver:
    """Values for a function's environment: parameters' defaults, names for resources."""

    def __init__(self, template, prefix, overrides):
        self.parameters = {
            k: str(v.get("Default", "")) for k, v in template.get("Parameters", {}).items()
        }
        self.parameters.update(overrides)
        self.resources = template.get("Resources", {})
        self.prefix = prefix

    def ref(self, name):
        if name in self.parameters:
            return self.parameters[name]
        if name.startswith("AWS::"):
            return {"AWS::Region": "eu-west-3", "AWS::AccountId": "123456789012",
                    "AWS::Partition": "aws", "AWS::StackName": self.prefix}.get(name, "")
        kind = self.resources.get(name, {}).get("Type", "")
        local = f"{self.prefix}-{name}"
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.eu-west-3.amazonaws.com/123456789012/{local}"
        return local

    def value(self, v):
        if isinstance(v, (str, int, float, bool)):
            return str(v).lower() if isinstance(v, bool) else str(v)
        if isinstance(v, dict) and "Ref" in v:
            return self.ref(v["Ref"])
        if isinstance(v, dict) and "Fn::GetAtt" in v:
            name, attr = v["Fn::GetAtt"]
            if attr == "Arn":
                return f"arn:aws:bench:eu-west-3:123456789012:{self.prefix}-{name}"
            return f"{self.prefix}-{name}-{attr}"
        if isinstance(v, dict) and "Fn::Sub" in v:
            text = v["Fn::Sub"] if isinstance(v["Fn::Sub"], str) else v["Fn::Sub"][0]
            out, i = "", 0
            while i < len(text):
                j = text.find("${", i)
                if j < 0:
                    out += text[i:]
                    break
                k = text.index("}", j)
                out += text[i:j] + self.ref(text[j + 2:k].split(".")[0])
                i = k + 1
            return out
        if isinstance(v, dict) and "Fn::If" in v:
            return self.value(v["Fn::If"][2])
        if isinstance(v, dict) and "Fn::Join" in v:
            sep, parts = v["Fn::Join"]
            return sep.join(self.value(p) for p in parts)
        raise ValueError(f"unresolved value {v!r}")


def functions(template):
    """(logical id, binary, variables) of every rust-cargolambda function."""
    glob = (template.get("Globals", {}).get("Function", {}).get("Environment", {})
            .get("Variables", {}))
    for lid, res in template.get("Resources", {}).items():
        meta = res.get("Metadata", {})
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        binary = meta.get("BuildProperties", {}).get("Binary")
        if meta.get("BuildMethod") != "rust-cargolambda" or not binary:
            continue
        own = res.get("Properties", {}).get("Environment", {}).get("Variables", {})
        yield lid, binary, {**glob, **own}


def make_secrets(endpoint, prefix):
    """The template's secret parameters → names of secrets created on the emulator, and the
    public half of the signing key (a parameter on AWS)."""
    key = ec.generate_private_key(ec.SECP256R1())
    signing = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    values = {
        "HashKeySecret": secrets.token_hex(32),
        "AddressKeySecret": secrets.token_hex(32),
        "TokenSigningKeySecret": signing,
        "OriginVerifySecret": secrets.token_hex(32),
    }
    client = boto3.client("secretsmanager", endpoint_url=endpoint, region_name="eu-west-3",
                          aws_access_key_id="bench", aws_secret_access_key="bench")
    names = {}
    for parameter, value in values.items():
        name = f"{prefix}/{parameter}"
        client.create_secret(Name=name, SecretString=value)
        names[parameter] = name
    return names, public


class Runtime(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.polled = threading.Event()
        self.polled_at = None
        self.init_error = None
        self.done = threading.Event()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == NEXT:
            server = self.server
            if server.polled_at is None:
                server.polled_at = time.perf_counter()
                server.polled.set()
            # No event ever comes: the process is stopped once the time is taken.
            server.done.wait(30)
            self.close_connection = True
            return
        self.send_error(404)

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length)
        if self.path == INIT_ERROR:
            self.server.init_error = body.decode(errors="replace")[:500]
            self.server.polled.set()
        self.send_response(202)
        self.send_header("content-length", "0")
        self.end_headers()


# A string only each service's client carries (its protocol's target prefix, its endpoint
# rules, an operation's name): which clients a package links, read from the binary itself.
CLIENT_MARKERS = {
    "dynamodb": b"DynamoDB_20120810",
    "s3": b"s3express",
    "sqs": b"AmazonSQS",
    "secretsmanager": b"GetSecretValue",
    "sesv2": b"SendEmail",
    "sns": b"AmazonSimpleNotificationService",
    "sts": b"AssumeRoleWithWebIdentity",
}


def linked(binary):
    data = Path(binary).read_bytes()
    return [name for name, marker in CLIENT_MARKERS.items() if marker in data]


def read_secrets(endpoint, names):
    """Secret name → value, to give the functions directly in the "env" mode."""
    client = boto3.client("secretsmanager", endpoint_url=endpoint, region_name="eu-west-3",
                          aws_access_key_id="bench", aws_secret_access_key="bench")
    return {n: client.get_secret_value(SecretId=n)["SecretString"] for n in names.values()}


def start_once(runtime, binary, env, timeout):
    """Milliseconds from spawn to the first poll, or (None, why)."""
    runtime.polled.clear()
    runtime.done.clear()
    runtime.polled_at = None
    runtime.init_error = None
    t0 = time.perf_counter()
    proc = subprocess.Popen([binary], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = t0 + timeout
    while not runtime.polled.wait(0.005):
        if proc.poll() is not None or time.perf_counter() > deadline:
            break
    at = runtime.polled_at
    proc.kill()
    _, err = proc.communicate()
    runtime.done.set()
    if at is not None:
        return (at - t0) * 1000, None
    why = runtime.init_error or err.decode(errors="replace").strip()[-500:] or "no poll"
    return None, why


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binaries", required=True, type=Path)
    ap.add_argument("--minimal", required=True, type=Path)
    ap.add_argument("--template", default="template.yaml", type=Path)
    ap.add_argument("--sizes", type=Path)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--only", default="", help="comma-separated binaries")
    ap.add_argument("--raw", type=Path, help="every time, as JSON")
    args = ap.parse_args()

    endpoint = os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    prefix = f"bench{os.getpid()}x{int(time.time())}"
    template = yaml.load(args.template.read_text(), Loader=TemplateLoader)
    secret_names, public_key = make_secrets(endpoint, prefix)
    resolver = Resolver(template, prefix, secret_names)

    runtime = Runtime()
    threading.Thread(target=runtime.serve_forever, daemon=True).start()
    base = {
        "PATH": "/usr/bin:/bin",
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{runtime.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/bench",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_REGION": "eu-west-3",
        "AWS_DEFAULT_REGION": "eu-west-3",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_ENDPOINT_URL": endpoint,
    }
    only = {b for b in args.only.split(",") if b}
    secret_values = read_secrets(endpoint, secret_names)
    # (name, mode, bootstrap, env). "env": secrets given as values, so the time is the
    # binary's own; "fetched": read from Secrets Manager (the emulator) as on AWS.
    runs = [("minimal", "env", args.minimal, {**base, "AWS_LAMBDA_FUNCTION_NAME": "minimal"})]
    for lid, binary, variables in functions(template):
        if only and binary not in only:
            continue
        env = {**base, "AWS_LAMBDA_FUNCTION_NAME": f"{prefix}-{lid}"}
        for k, v in variables.items():
            env[k] = public_key if k == "TOKEN_PUBLIC_KEY" else resolver.value(v)
        # The emulator has no host-named buckets.
        env["S3_FORCE_PATH_STYLE"] = "true"
        bootstrap = args.binaries / binary / "bootstrap"
        given = {k: v for k, v in env.items() if not k.endswith("_SECRET")}
        for k, v in env.items():
            if k.endswith("_SECRET"):
                given[k[: -len("_SECRET")]] = secret_values[v]
        runs.append((binary, "env", bootstrap, given))
        if given != env:
            runs.append((binary, "fetched", bootstrap, env))

    times = {(name, mode): [] for name, mode, _, _ in runs}
    failures = {}
    for _ in range(args.runs):
        for name, mode, binary, env in runs:
            if (name, mode) in failures:
                continue
            ms, why = start_once(runtime, str(binary), env, args.timeout)
            if ms is None:
                failures[(name, mode)] = why
            else:
                times[(name, mode)].append(ms)
    runtime.shutdown()
    if args.raw:
        args.raw.write_text(json.dumps({f"{n}/{m}": t for (n, m), t in times.items()}))

    sizes = {}
    if args.sizes and args.sizes.exists():
        for line in args.sizes.read_text().splitlines():
            name, arch, zipped = line.split("\t")
            sizes.setdefault(name, {})[arch] = int(zipped)
    archs = sorted({a for s in sizes.values() for a in s})
    ref = statistics.median(times[("minimal", "env")]) if times[("minimal", "env")] else None
    head = ["binary"] + [f"zip {a} (MB)" for a in archs]
    head += [f"zip {a} / minimal" for a in archs]
    head += ["starts", "min ms", "median ms", "max ms", "median / minimal",
             "median ms, secrets fetched", "clients linked"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
    for name in dict.fromkeys(n for n, _, _, _ in runs):
        row = [name]
        for a in archs:
            z = sizes.get(name, {}).get(a)
            row.append(f"{z / 1e6:.2f}" if z else "")
        for a in archs:
            z, m = sizes.get(name, {}).get(a), sizes.get("minimal", {}).get(a)
            row.append(f"{z / m:.2f}" if z and m else "")
        t = times[(name, "env")]
        if t:
            med = statistics.median(t)
            row += [str(len(t)), f"{min(t):.1f}", f"{med:.1f}", f"{max(t):.1f}",
                    f"{med / ref:.2f}" if ref else ""]
        else:
            row += ["0", "", "", "", "failed"]
        fetched = times.get((name, "fetched"))
        row.append(f"{statistics.median(fetched):.1f}" if fetched else
                   ("failed" if (name, "fetched") in failures else "–"))
        boot = next(b for n, _, b, _ in runs if n == name)
        row.append(", ".join(linked(boot)) or "none")
        print("| " + " | ".join(row) + " |")
    for (name, mode), why in failures.items():
        print(f"\n{name} ({mode}) did not start: {why}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
