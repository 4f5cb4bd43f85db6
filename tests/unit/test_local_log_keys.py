"""Local cloud: concurrent invocations in threads keep their own log keys, as separate Lambda processes do."""

import io
import json
import logging
import threading
import uuid

from aws_lambda_powertools import Logger

from local.log_keys import isolate_log_keys_per_thread


def test_each_thread_logs_its_own_keys_and_clearing_one_leaves_the_others() -> None:
    # Given the per-thread keys and one module-level logger shared by two "invocations" in two threads
    isolate_log_keys_per_thread()
    out = io.StringIO()
    # A service name of its own: powertools re-uses a logger of the same name already set up in this
    # process (a second run of this test, as mutmut does) and would leave this one without a formatter.
    service = f"telar-test-keys-{uuid.uuid4().hex}"
    logger = Logger(service=service, logger_handler=logging.StreamHandler(out))
    both_keyed = threading.Barrier(2)
    first_cleared = threading.Event()

    def invocation(name: str, clears: bool) -> None:
        logger.clear_state()
        logger.append_keys(function_name=name, order_id=f"ord-{name}")
        both_keyed.wait()
        if clears:
            logger.clear_state()
            first_cleared.set()
            logger.info("after clearing")
        else:
            first_cleared.wait()
            logger.info("still keyed")

    # When both run at once and one of them clears its state in the middle
    threads = [threading.Thread(target=invocation, args=(n, n == "a")) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then each record carries its own thread's keys only, and the service every thread started from
    records = {r["message"]: r for r in map(json.loads, out.getvalue().splitlines())}
    assert records["still keyed"]["function_name"] == "b" and records["still keyed"]["order_id"] == "ord-b"
    assert "function_name" not in records["after clearing"]
    assert records["after clearing"]["service"] == records["still keyed"]["service"] == service
