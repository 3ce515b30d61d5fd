#!/usr/bin/env python3
"""Verifies one webhook delivery the way receivers do, with the Standard
Webhooks library (PyPI `standardwebhooks`), unchanged.

Reads {"secret", "headers", "body"} as JSON on stdin; exits 0 if the
signature verifies, 1 (printing why) if not, 2 if the library is missing.
The HTTP tests call it for every signature they check (tests/api/webhooks.rs).
"""
import json
import sys

try:
    from standardwebhooks.webhooks import Webhook
except ImportError:
    print("the standardwebhooks package is missing: pip install standardwebhooks", file=sys.stderr)
    sys.exit(2)

given = json.load(sys.stdin)
try:
    Webhook(given["secret"]).verify(given["body"], given["headers"])
except Exception as e:  # the library raises its own WebhookVerificationError
    print(f"not verified: {e}", file=sys.stderr)
    sys.exit(1)
