"""Environment variables, read once and validated (template Globals set them)."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    table_name: str
    uploads_bucket: str
    artifacts_bucket: str
    sender_email: str
    finance_emails: str = Field(description="comma-separated")
    state_machine_arn: str | None = None
    inbound_address: str = Field(default="", description="where managers reply with sheets (SES receiving)")
    max_rework_rounds: int = Field(default=2, ge=0, description="QC rounds for rejected units before a person looks")

    @property
    def finance_recipients(self) -> list[str]:
        return [a.strip() for a in self.finance_emails.split(",") if a.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # values come from the environment
