"""A moto server with a large user pool seeded in process (0.4 s for 10,000 users, where the HTTP
API takes about a minute). Used by the importer benchmark and the demo.

    python seeded_server.py --port 5000 --users 10000 [--seed 1]

Prints one JSON line {"url", "poolId", "users", "memberships"} on stdout once ready, then serves
until SIGTERM or SIGINT. Uses moto internals (moto.cognitoidp.models), hence the pinned version.
"""

import argparse
import json
import random
import signal
import sys
import threading

from moto.core import DEFAULT_ACCOUNT_ID
from moto.cognitoidp.models import cognitoidp_backends
from moto.server import ThreadedMotoServer

GROUPS = [
    ("admin", "Administrators"),
    ("editor", "Content editors"),
    ("viewer", "Read-only users"),
    ("billing", "Billing team"),
    ("support staff", "Support staff"),
]
PLANS = ["free", "pro", "enterprise"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--users", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--groups", default=",".join(name for name, _ in GROUPS),
                        help="comma-separated group names (descriptions for known ones)")
    parser.add_argument("--confirm-every", type=int, default=0,
                        help="give every Nth user a permanent password (CONFIRMED); the rest stay FORCE_CHANGE_PASSWORD")
    args = parser.parse_args()
    known = dict(GROUPS)
    groups = [(name, known.get(name, name.title())) for name in args.groups.split(",") if name]
    rng = random.Random(args.seed)

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    backend = cognitoidp_backends[DEFAULT_ACCOUNT_ID][args.region]
    pool = backend.create_user_pool(
        "bench",
        {
            "Schema": [
                {"Name": "plan", "AttributeDataType": "String", "Mutable": True},
                {"Name": "seats", "AttributeDataType": "Number", "Mutable": True},
                {"Name": "beta", "AttributeDataType": "Boolean", "Mutable": True},
                {"Name": "renewal", "AttributeDataType": "DateTime", "Mutable": True},
            ]
        },
    )
    for precedence, (name, description) in enumerate(groups):
        backend.create_group(pool.id, name, description, None, precedence)
    memberships = 0
    for i in range(args.users):
        username = f"user{i:06d}"
        attributes = [
            {"Name": "email", "Value": f"{username}@example.com"},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "given_name", "Value": f"Given{i}"},
            {"Name": "family_name", "Value": f"Family{i}"},
            {"Name": "custom:plan", "Value": rng.choice(PLANS)},
            {"Name": "custom:seats", "Value": str(rng.randint(1, 500))},
            {"Name": "custom:beta", "Value": rng.choice(["true", "false"])},
            {"Name": "custom:renewal", "Value": str(1767225600 + rng.randint(0, 31536000))},
        ]
        if i % 3 == 0:
            attributes.append({"Name": "phone_number", "Value": f"+1555{i:07d}"})
        backend.admin_create_user(pool.id, username, "SUPPRESS", "Temp-Passw0rd!", attributes)
        if args.confirm_every and i % args.confirm_every == 1:
            backend.admin_set_user_password(pool.id, username, "Perm-Passw0rd!", True)
        if i % 10 == 0:
            backend.admin_disable_user(pool.id, username)
        for name, _ in rng.sample(groups, rng.randint(1, len(groups))):
            backend.admin_add_user_to_group(pool.id, name, username)
            memberships += 1

    print(
        json.dumps(
            {
                "url": f"http://127.0.0.1:{args.port}",
                "poolId": pool.id,
                "users": args.users,
                "memberships": memberships,
            }
        ),
        flush=True,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    server.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
