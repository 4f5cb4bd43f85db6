"""The staff console's address, for the links in the e-mails managers get."""

from functools import cached_property

from telar.adapters.aws import client
from telar.observability import logger


class ConsoleLink:
    """The console's URL from the SSM parameter the stack writes it to (CONSOLE_URL_PARAMETER), read once.

    Not an environment variable: the URL names the API, and a function that mails managers given it would close a
    dependency cycle in the stack (the API, the intake function behind it, the state machine it starts, the stages
    that mail). None where the stack has no such parameter: the e-mails then name the console without a link.
    """

    def __init__(self, parameter: str):
        self.parameter = parameter

    def url(self) -> str | None:
        return self._url

    @cached_property
    def _url(self) -> str | None:
        if not self.parameter:
            return None
        ssm = client("ssm")
        try:
            value = str(ssm.get_parameter(Name=self.parameter)["Parameter"]["Value"])
        except ssm.exceptions.ParameterNotFound:
            logger.warning("no console URL: e-mails name the console without a link", parameter=self.parameter)
            return None
        return value.rstrip("/") or None
