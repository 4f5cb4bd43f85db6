"""Environment variables, read once and validated (template Globals set them)."""

import os
from functools import lru_cache
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

M = TypeVar("M", bound=BaseModel)


def from_environment(model: type[M], prefix: str = "", **given: Any) -> M:
    """``model`` validated from the variables named after its fields in capitals (``table_name``: TABLE_NAME),
    after ``prefix``; an empty variable counts as unset, and ``given`` values win.

    What pydantic-settings does for these flat models, without its import (40 ms of every cold start).
    """
    names = {name: f"{prefix}{name}".upper() for name in model.model_fields}
    found = {name: os.environ[var] for name, var in names.items() if os.environ.get(var)}
    return model.model_validate({**found, **given})


class Settings(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="ignore")

    table_name: str
    uploads_bucket: str
    artifacts_bucket: str
    sender_email: str
    finance_emails: str = Field(description="comma-separated")
    state_machine_arn: str | None = None
    inbound_address: str = Field(default="", description="where managers reply with sheets (SES receiving)")
    max_rework_rounds: int = Field(default=2, ge=0, description="QC rounds for rejected units before a person looks")
    organisation_name: str = Field(default="Telar", description="who pays: the heading of the Pay sheet")
    pay_day: int = Field(default=5, ge=1, le=28, description="a pay period is paid on this day of the next month")
    order_payroll_mail: bool = Field(default=False, description="also e-mail finance each order's payroll file")
    webhook_queue_url: str = Field(default="", description="the queue buyers' webhook events wait in for delivery")
    webhook_secrets_path: str = Field(
        default="", description="SSM parameter path of the buyers' webhook secrets (SecureString), ending in /"
    )
    console_url_parameter: str = Field(
        default="", description="SSM parameter holding the staff console's URL, for the links in managers' e-mails"
    )
    webhooks_allow_private: bool = Field(
        default=False,
        description="webhook URLs may be http or loopback/private addresses: set by the local cloud only, never on AWS",
    )

    @property
    def finance_recipients(self) -> list[str]:
        return [a.strip() for a in self.finance_emails.split(",") if a.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return from_environment(Settings)


class ConsoleSettings(BaseModel):
    """The staff console's own variables (template: ConsoleFunction)."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="ignore")

    staff_user_pool_id: str
    staff_user_pool_client_id: str
    pay_period_function: str = Field(default="", description="the pay-run function finance runs on demand")


@lru_cache(maxsize=1)
def get_console_settings() -> ConsoleSettings:
    return from_environment(ConsoleSettings)
