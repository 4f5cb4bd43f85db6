"""``python -m telar.auth``: operators issue, list and revoke buyers' keys in the stack's table, and replace a
buyer's webhook signing secret (``webhook-secret``, in SSM under ``--secrets-path``)."""

import argparse
import sys

from telar.adapters.dynamo.auth import DynamoAuth
from telar.adapters.webhooks import WebhookSecrets
from telar.auth import issue_api_key, replace_webhook_secret, revoke_api_key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m telar.auth",
        description="Issue, list and revoke buyers' keys; replace a buyer's webhook secret.",
    )
    parser.add_argument("--table", required=True, help="the stack's TelarTable name")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("issue", help="a new key for a buyer (printed once)").add_argument("buyer_id")
    commands.add_parser("list", help="a buyer's key ids, newest first").add_argument("buyer_id")
    revoke = commands.add_parser("revoke", help="revoke one of a buyer's keys by its id")
    revoke.add_argument("buyer_id")
    revoke.add_argument("key_id")
    secret = commands.add_parser("webhook-secret", help="a new webhook signing secret for a buyer (printed once)")
    secret.add_argument("buyer_id")
    secret.add_argument("--secrets-path", required=True, help="the stack's /<stack>/webhook-secrets/")
    args = parser.parse_args(argv)
    store = DynamoAuth(args.table)
    try:
        if args.command == "issue":
            api_key, key = issue_api_key(store, args.buyer_id)
            print(f"key id {key.key_id} for {args.buyer_id}; give the buyer this key, it is not shown again:")
            print(api_key)
        elif args.command == "webhook-secret":
            new = replace_webhook_secret(store, WebhookSecrets(args.secrets_path), args.buyer_id)
            print(
                f"new webhook secret for {args.buyer_id}, signing from now on; give it to her, it is not shown again:"
            )
            print(new)
        elif args.command == "list":
            for key in store.api_keys_of(args.buyer_id):
                print(f"{key.key_id}  issued {key.issued_at:%Y-%m-%d %H:%M} UTC")
        else:
            key = revoke_api_key(store, args.buyer_id, args.key_id)
            print(f"revoked {key.key_id} of {args.buyer_id} (cached answers expire within a minute)")
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
