"""Shared fixtures: an in-memory AWS (moto) with the table and buckets built from template.yaml's own properties."""

import json
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from local.cloud import forget_process_caches
from local.dynamodb import journal_transactions
from local.s3_limits import s3_metadata_limit
from telar.adapters.console_link import ConsoleLink
from telar.adapters.dynamo import dynamo_stores
from telar.adapters.mail import Mailer
from telar.adapters.storage import Storage
from telar.adapters.webhooks import WebhookQueue, WebhookSecrets
from telar.models import ReferenceBook, ReferenceData
from telar.observability import metrics
from telar.ports import Ports
from telar.reference_book import book_problems
from telar.sheets.reference_book import read_reference_book
from telar.stages.reference_upload import apply_reference_workbook, import_reference
from tests.fakes import TEST_SETTINGS, RecordingWorkflow, memory_ports
from tests.template_tools import load_template

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
TABLE_PROPERTIES = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")


@cache
def _sample_book() -> ReferenceBook:
    """samples/reference.xlsx read as an upload is (once per session: the models are frozen)."""
    return read_reference_book((SAMPLES / "reference.xlsx").read_bytes(), book_problems)


@pytest.fixture
def sample_reference() -> ReferenceData:
    return _sample_book().reference


def import_sample_reference(ports: Ports) -> int:
    """The sample reference data applied through the import use case, without buyers (so no e-mails)."""
    return import_reference(ports, ReferenceBook(reference=_sample_book().reference), "samples#test").version


def import_samples(ports: Ports) -> dict[str, str]:
    """Load the sample workbook as staff would (validated, versioned, buyers keyed); returns buyer id -> key."""
    keys = {b["buyer_id"]: b["api_key"] for b in json.loads((SAMPLES / "buyers.json").read_text())}
    assert apply_reference_workbook(ports, (SAMPLES / "reference.xlsx").read_bytes(), "samples#test", keys.__getitem__)
    return keys


@pytest.fixture(autouse=True)
def no_metrics_left_by_earlier_tests() -> Iterator[None]:
    """powertools' Metrics is one object per process: a test that records metrics without a handler flushing
    them would otherwise hand them to whichever test flushes next (tests run in a random order)."""
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


@pytest.fixture
def ports() -> Ports:
    """Ports on the in-memory fakes (tests/fakes.py): stage tests without moto (``aws`` is the moto one)."""
    return memory_ports()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Ports]:
    """Ports wired to moto: the table from the template's TelarTable properties, versioned buckets, SES."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "TelarTest",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    forget_process_caches()  # clients cached by an earlier test belong to its moto
    undo_journal = journal_transactions()  # TransactWriteItems as the local cloud runs it
    undo_metadata_limit = s3_metadata_limit()  # S3's 2 KB of user metadata, which moto does not check
    with mock_aws():
        props = load_template()["Resources"]["TelarTable"]["Properties"]
        boto3.client("dynamodb").create_table(TableName="telar-test", **{k: props[k] for k in TABLE_PROPERTIES})
        for bucket in ("telar-uploads", "telar-artifacts"):
            boto3.client("s3").create_bucket(Bucket=bucket)
            boto3.client("s3").put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        boto3.client("ses").verify_email_identity(EmailAddress="telar@example.org")
        queue_url = boto3.client("sqs").create_queue(QueueName="telar-webhooks")["QueueUrl"]
        settings = TEST_SETTINGS.model_copy(
            update={"webhook_queue_url": queue_url, "webhook_secrets_path": "/telar-test/webhook-secrets/"}
        )
        yield Ports(
            settings=settings,
            **dynamo_stores(settings.table_name)._asdict(),
            uploads=Storage(settings.uploads_bucket),
            artifacts=Storage(settings.artifacts_bucket),
            workflow=RecordingWorkflow(),
            mailer=Mailer(settings.sender_email),
            webhooks=WebhookQueue(settings.webhook_queue_url),
            webhook_secrets=WebhookSecrets(settings.webhook_secrets_path),
            console=ConsoleLink(settings.console_url_parameter),
        )
    undo_journal()
    undo_metadata_limit()
    forget_process_caches()
    os.environ.pop("AWS_ENDPOINT_URL", None)
