"""Webhook delivery's edges: the SQS queue events wait in, the buyers' secrets in SSM, and the HTTPS POST."""

import contextlib
import hashlib
import http.client
import re
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

from telar.adapters.aws import client
from telar.webhooks import WebhookEvent, address_allowed

_PARAMETER_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")


class WebhookQueue:
    """The queue (WebhookQueue in the template) the delivery function reads."""

    def __init__(self, queue_url: str):
        self.queue_url = queue_url

    def publish(self, event: WebhookEvent) -> None:
        if not self.queue_url:  # a function that tells buyers without WEBHOOK_QUEUE_URL: the template is wrong
            raise RuntimeError("WEBHOOK_QUEUE_URL is not set: this function cannot queue webhook events")
        client("sqs").send_message(QueueUrl=self.queue_url, MessageBody=event.model_dump_json())

    def retry_later(self, receipt_handle: str, seconds: int) -> None:
        """Hide a message that failed for ``seconds`` (its next attempt), instead of the queue's whole timeout."""
        client("sqs").change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
        )


class WebhookSecrets:
    """One SSM SecureString per buyer under ``path`` (WEBHOOK_SECRETS_PATH): encrypted with the account's aws/ssm
    key, readable by the delivery function's role only (docs/decisions.md, issue 16)."""

    def __init__(self, path: str):
        self.path = path

    def _name(self, buyer_id: str) -> str:
        # buyer ids are free text in the reference data; a parameter name takes a narrower alphabet
        safe = buyer_id if _PARAMETER_NAME.match(buyer_id) else hashlib.sha256(buyer_id.encode()).hexdigest()
        return f"{self.path}{safe}"

    def create(self, buyer_id: str, secret: str) -> bool:
        """Store the buyer's first secret; False if she has one already (it is kept)."""
        ssm = client("ssm")
        try:
            ssm.put_parameter(Name=self._name(buyer_id), Value=secret, Type="SecureString", Overwrite=False)
        except ssm.exceptions.ParameterAlreadyExists:
            return False
        return True

    def replace(self, buyer_id: str, secret: str) -> None:
        """A new secret in place of hers (an operator's rotation)."""
        client("ssm").put_parameter(Name=self._name(buyer_id), Value=secret, Type="SecureString", Overwrite=True)

    def get(self, buyer_id: str) -> str | None:
        ssm = client("ssm")
        try:
            return str(ssm.get_parameter(Name=self._name(buyer_id), WithDecryption=True)["Parameter"]["Value"])
        except ssm.exceptions.ParameterNotFound:
            return None

    def delete(self, buyer_id: str) -> None:
        ssm = client("ssm")
        with contextlib.suppress(ssm.exceptions.ParameterNotFound):
            ssm.delete_parameter(Name=self._name(buyer_id))


class WebhookRefused(Exception):
    """The URL's host resolves to an address Telar does not POST to (loopback, private, link-local)."""


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an address resolved and checked beforehand (a second lookup could answer otherwise), with the
    certificate checked against the URL's host name."""

    def __init__(self, host: str, address: str, **kwargs: Any):
        super().__init__(host, **kwargs)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, **kwargs: Any):
        super().__init__(host, **kwargs)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class HttpPoster:
    """POSTs a body to a webhook URL: no redirects followed, only to allowed addresses, within ``timeout``."""

    def __init__(self, allow_private: bool = False, timeout: float = 8.0):
        self.allow_private = allow_private
        self.timeout = timeout

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """The response's status code.

        Raises
        ------
        WebhookRefused
            the host resolves to an address that is not allowed.
        OSError
            no connection, or no answer within the timeout.
        """
        parts = urlsplit(url)
        host, https = parts.hostname or "", parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        addresses = [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
        refused = [a for a in addresses if not address_allowed(str(a), self.allow_private)]
        if not addresses or refused:
            raise WebhookRefused(f"{host} resolves to an address webhooks are not sent to")
        kind = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
        connection = kind(host, str(addresses[0]), port=port, timeout=self.timeout)
        try:
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read(64 * 1024)  # what it says is not ours to keep; read a little so the connection ends cleanly
            return response.status
        finally:
            connection.close()
