"""Once-only claims: leases on side effects (an e-mail, say) that must happen once."""

from datetime import UTC, datetime, timedelta

from telar.adapters.dynamo import keys
from telar.adapters.dynamo.table import TableStore, conditional
from telar.errors import ActionInProgress, ConditionFailed

# Longer than any invocation of ours (tests/unit/test_template.py checks it against every function's Timeout),
# short enough that SQS's next delivery (6 minutes' visibility) or the state machine's retries find it run out.
CLAIM_LEASE = timedelta(minutes=6)


class DynamoClaims(TableStore):
    def claim(self, name: str, lease: timedelta = CLAIM_LEASE) -> bool:
        """Claim a once-only action (an e-mail, say) for ``lease``: True to do it, False if it is done.

        A claim is a lease until :meth:`complete` marks the action done: a holder that died (a timeout, a crash)
        before completing it leaves a claim that expires, and the next attempt takes it over and performs the
        action. The lease outlasts any invocation, so a holder still alive never sees its action taken over.

        Raises
        ------
        ActionInProgress
            another attempt holds the claim and its lease has not run out: try again later.
        """
        now = datetime.now(UTC)
        try:
            conditional(
                self.table.put_item,
                Item={
                    **keys.claim(name),
                    "at": now.isoformat(),
                    "state": "held",
                    "lease_until": (now + lease).isoformat(),
                },
                # new, or held by an attempt whose lease ran out (claims stored before leases have no state:
                # they are done)
                ConditionExpression="attribute_not_exists(pk) OR (#state = :held AND lease_until < :now)",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":held": "held", ":now": now.isoformat()},
            )
        except ConditionFailed:
            if self.is_done(name):
                return False
            raise ActionInProgress(f"{name} is claimed by another attempt until its lease runs out") from None
        return True

    def complete(self, name: str) -> None:
        """Mark a claimed action done: the claim never expires any more."""
        self.table.update_item(
            Key=keys.claim(name),
            UpdateExpression="SET #state = :done, done_at = :now REMOVE lease_until",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":done": "done", ":now": datetime.now(UTC).isoformat()},
        )

    def is_done(self, name: str) -> bool:
        """Whether the once-only action was done (an e-mail sent: the staff console reads a receipt's)."""
        stored = self.table.get_item(Key=keys.claim(name), ConsistentRead=True).get("Item")
        return stored is not None and stored.get("state", "done") == "done"  # claims before leases: done

    def release(self, name: str) -> None:
        """Undo a claim whose action failed, so that a retry performs it."""
        self.table.delete_item(Key=keys.claim(name))
