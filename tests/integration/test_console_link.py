"""The console's address for managers' e-mails, read from the stack's SSM parameter once per container."""

from typing import Any

import boto3

from telar.adapters.console_link import ConsoleLink


def test_the_address_is_read_once_without_its_trailing_slash(aws: Any) -> None:
    # Given the stack's parameter
    ssm = boto3.client("ssm")
    ssm.put_parameter(
        Name="/telar/console-url", Value="https://abc.execute-api.us-east-1.amazonaws.com/v1/console/", Type="String"
    )
    link = ConsoleLink("/telar/console-url")
    # When the address is asked for, Then it is the parameter's, without the slash a link would double
    assert link.url() == "https://abc.execute-api.us-east-1.amazonaws.com/v1/console"
    # And a later e-mail of the same container reads it from memory (the parameter is gone, the address stays)
    ssm.delete_parameter(Name="/telar/console-url")
    assert link.url() == "https://abc.execute-api.us-east-1.amazonaws.com/v1/console"


def test_a_stack_without_the_parameter_mails_without_a_link(aws: Any) -> None:
    assert ConsoleLink("/telar/console-url").url() is None  # named, but not there
    assert ConsoleLink("").url() is None  # not named: nothing is read
