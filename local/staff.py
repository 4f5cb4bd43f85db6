"""The sample staff of the local cloud: a Cognito user per group manager of the reference data, one office and
one finance user, each with a password made at start (local only; outputs.json lists them as ``staff``).

The managers are the reference groups' manager e-mails (a manager of several groups gets them all in
``custom:group_ids``); the office and finance users are named after the stack's FinanceEmails domain.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from telar.models import Group


def local_password() -> str:
    """A password the pool's policy accepts (12+ characters, upper, lower and digits), new at each start."""
    return f"Tl{secrets.token_urlsafe(12)}9a"


def create_sample_staff(
    cognito: Any,
    pool_id: str,
    groups: Iterable[Group],
    office: str = "office@example.org",
    finance: str = "finance@example.org",
) -> list[dict[str, Any]]:
    """Create the users and return them as outputs.json lists them: ``{"username", "password", "role", "group_id"}``."""
    managers: dict[str, list[Group]] = {}
    for group in groups:
        managers.setdefault(str(group.manager_email).lower(), []).append(group)
    staff: list[dict[str, Any]] = []

    def create(username: str, role: str, attributes: dict[str, str], group_id: str | None) -> None:
        password = local_password()
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=username,
            UserAttributes=[
                {"Name": "email", "Value": username},
                *({"Name": k, "Value": v} for k, v in attributes.items()),
            ],
            MessageAction="SUPPRESS",
        )
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=password, Permanent=True)
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=role)
        staff.append({"username": username, "password": password, "role": role, "group_id": group_id})

    for email, theirs in managers.items():
        group_ids = [g.group_id for g in theirs]
        create(email, "manager", {"custom:group_ids": ",".join(group_ids)}, group_ids[0])
    create(office, "office", {"locale": "en"}, None)
    create(finance, "finance", {"locale": "en"}, None)
    return staff
