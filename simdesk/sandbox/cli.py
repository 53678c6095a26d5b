"""``simdesk sandbox``: run the local Sim-compatible server in the foreground."""

from __future__ import annotations

import argparse

from simdesk.sandbox.buckets import PLANS
from simdesk.sandbox.demo import DEMO_KEY, WORKSPACE_KEY
from simdesk.sandbox.server import serve_forever
from simdesk.sandbox.state import SandboxConfig


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="simdesk sandbox", description="A local Sim-compatible server with demo workflows."
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument(
        "--api-key",
        dest="api_keys",
        action="extend",
        nargs="+",
        metavar="KEY",
        help=f"accept KEY as a personal key (repeatable; default {DEMO_KEY})",
    )
    p.add_argument(
        "--v2",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="serve /api/v2 (--no-v2 answers 404 'Not found' like a gated server)",
    )
    p.add_argument("--plan", choices=PLANS, default="free", help="billing plan: rate limits and spend limit")
    p.add_argument("--seed", type=int, default=0, help="seed for ids, spend and outputs")
    p.add_argument("--pace", type=float, default=1.0, help="multiply simulated delays (0 = instant)")
    p.add_argument(
        "--no-billing",
        dest="billing",
        action="store_false",
        help="lift every plan limit (999 999, buckets never run dry), for load tests",
    )
    p.add_argument(
        "--self-hosted",
        action="store_true",
        help="answer as a self-hosted Sim with billing off: usage limit 99 999, credits 200 000, no spend "
        "(rate limits stay the plan's)",
    )
    p.add_argument(
        "--no-redis",
        dest="redis",
        action="store_false",
        help="act like a Sim deployed without Redis (cancel reasons, usage-limits of an empty bucket)",
    )
    p.add_argument(
        "--no-ip-limit",
        dest="ip_limit",
        action="store_false",
        help="drop v2's per-IP pre-auth limit (600, then 300/min), for load tests from one address",
    )
    p.add_argument(
        "--seeded-logs",
        type=int,
        default=0,
        metavar="N",
        help="add N finished runs of every trigger kind to the Demo workspace's logs",
    )
    p.add_argument("--control", action="store_true", help="expose /__sandbox/faults, /usage and /clock")
    p.add_argument("--public-url", help="the origin the server puts into statusUrl and resume links")
    p.add_argument(
        "--job-ids",
        choices=("hosted", "database"),
        default="database",
        help="legacy async job ids: 'workflow-execution:<id>' (default, Sim without trigger.dev) or trigger.dev's",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    keys = tuple(args.api_keys or (DEMO_KEY,))
    config = SandboxConfig(
        host=args.host,
        port=args.port,
        api_keys=keys,
        v2=args.v2,
        plan=args.plan,
        seed=args.seed,
        pace=args.pace,
        billing=args.billing,
        self_hosted=args.self_hosted,
        redis=args.redis,
        ip_limit=args.ip_limit,
        control=args.control,
        public_url=args.public_url,
        job_ids=args.job_ids,
        seeded_logs=max(0, args.seeded_logs),
    )
    print(f"simdesk sandbox on http://{args.host}:{args.port}  plan={args.plan}  v2={'on' if args.v2 else 'off'}")
    print(f"  personal keys: {', '.join(keys)}   workspace key: {WORKSPACE_KEY}", flush=True)
    serve_forever(config)
    return 0
