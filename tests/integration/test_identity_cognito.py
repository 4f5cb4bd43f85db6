"""The console's Cognito adapter against moto's user pool: a user created with a temporary password (as the office
creates staff on AWS) is asked for her own, and signs in with it afterwards."""

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from local.cloud import forget_process_caches
from telar.adapters.identity import CognitoIdentity, PasswordChallenge

POLICY = {"MinimumLength": 12, "RequireLowercase": True, "RequireUppercase": True, "RequireNumbers": True}


@pytest.fixture
def identity(monkeypatch: pytest.MonkeyPatch) -> Iterator[CognitoIdentity]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    forget_process_caches()  # the adapter's cached client belongs to this moto
    with mock_aws():
        cognito = boto3.client("cognito-idp")
        pool = cognito.create_user_pool(PoolName="staff", Policies={"PasswordPolicy": POLICY})["UserPool"]["Id"]
        client = cognito.create_user_pool_client(
            UserPoolId=pool, ClientName="console", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
        )["UserPoolClient"]["ClientId"]
        cognito.admin_create_user(
            UserPoolId=pool, Username="rosa", TemporaryPassword="Temporary-Pass-1", MessageAction="SUPPRESS"
        )
        yield CognitoIdentity(pool, client)
    forget_process_caches()


def test_a_temporary_password_asks_for_her_own_which_then_signs_her_in(identity: CognitoIdentity) -> None:
    # When she signs in with the temporary password, Then Cognito asks for a new one
    challenge = identity.sign_in("rosa", "Temporary-Pass-1")
    assert isinstance(challenge, PasswordChallenge) and challenge.session
    # When she answers with her own, Then she has an ID token
    token = identity.set_new_password("rosa", challenge.session, "Her-Own-Password-7")
    assert isinstance(token, str) and token.count(".") == 2
    # And her own password signs her in directly from then on; the temporary one no longer does
    assert isinstance(identity.sign_in("rosa", "Her-Own-Password-7"), str)
    assert identity.sign_in("rosa", "Temporary-Pass-1") is None


def test_an_answer_to_a_challenge_nobody_was_given_is_refused(identity: CognitoIdentity) -> None:
    for forged in ("short", "a-session-cognito-never-gave-anyone", "x" * 5000):
        assert identity.set_new_password("rosa", forged, "Her-Own-Password-7") is None
