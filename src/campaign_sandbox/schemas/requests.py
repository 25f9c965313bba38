"""Request bodies, with the platform's constraints and validation messages."""

from __future__ import annotations

import re
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from campaign_sandbox.models import CampaignStatus, JobType


def _check_email(value: str) -> str:
    """Pydantic's EmailStr, except that reserved domains (``.invalid``, ``.test``) pass: the recorded platform
    answers 403, not 422, for ``lead015@leads.invalid``."""
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        if "special-use or reserved name" not in str(exc):
            raise PydanticCustomError(
                "value_error", "value is not a valid email address: {reason}", {"reason": str(exc)}
            ) from None
    return value


EmailStr = Annotated[str, AfterValidator(_check_email)]

_SPECIAL = re.compile(r'[!@#$%^&*(),.?":{}|<>]')


class SignupRequest(BaseModel):
    email: EmailStr
    password: str = Field(min_length=8, max_length=72)
    confirm_password: str = Field(min_length=8, max_length=72)

    @field_validator("password")
    @classmethod
    def _strength(cls, value: str) -> str:
        if not re.search(r"[A-Za-z]", value):
            raise ValueError("Password must contain at least one letter")
        if not re.search(r"\d", value):
            raise ValueError("Password must contain at least one number")
        if not _SPECIAL.search(value):
            raise ValueError("Password must contain at least one special character")
        return value

    @field_validator("confirm_password")
    @classmethod
    def _match(cls, value: str, info: ValidationInfo) -> str:
        # Skipped when the password itself failed, as on the platform.
        if "password" in info.data and value != info.data["password"]:
            raise ValueError("Passwords do not match")
        return value


class LoginRequest(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1)


class OrganizationCreate(BaseModel):
    name: str = Field(min_length=3, max_length=255)
    description: str = Field(min_length=1)


class OrganizationUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=3, max_length=255)
    description: str | None = Field(default=None, min_length=1)


class CampaignCreate(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    description: str | None = None
    organization_id: str = Field(max_length=36)
    fileName: str = Field(min_length=1, max_length=255)
    totalRecords: int = Field(ge=0, le=2_147_483_647)
    url: str = Field(min_length=1)


class CampaignUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = None
    status: CampaignStatus | None = None
    status_message: str | None = None
    status_error: str | None = None
    organization_id: str | None = Field(default=None, max_length=36)
    fileName: str | None = Field(default=None, min_length=1, max_length=255)
    totalRecords: int | None = Field(default=None, ge=0, le=2_147_483_647)
    url: str | None = Field(default=None, min_length=1)
    instantly_campaign_id: str | None = Field(default=None, max_length=64)


class CampaignStart(BaseModel):
    status_message: str | None = None


class CampaignPause(BaseModel):
    reason: str = "Manual pause requested"


class LeadUpdate(BaseModel):
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=255)
    phone: str | None = Field(default=None, max_length=50)
    company: str | None = Field(default=None, max_length=255)
    title: str | None = Field(default=None, max_length=255)
    linkedin_url: str | None = Field(default=None, max_length=255)
    source_url: str | None = Field(default=None, max_length=255)
    raw_data: dict[str, Any] | None = None
    email_verification: dict[str, Any] | None = None
    enrichment_results: dict[str, Any] | None = None
    enrichment_job_id: str | None = Field(default=None, max_length=36)
    email_copy_gen_results: dict[str, Any] | None = None
    instantly_lead_record: dict[str, Any] | None = None


class LeadCreate(LeadUpdate):
    campaign_id: str = Field(max_length=36)


class JobCreate(BaseModel):
    name: str = Field(max_length=10_000)
    description: str | None = None
    job_type: JobType | None = JobType.FETCH_LEADS
    campaign_id: str | None = Field(default=None, max_length=36)


class ServicePause(BaseModel):
    service: str
    reason: str = "manual_pause"


class ServiceResume(BaseModel):
    service: str


class BulkPause(BaseModel):
    service: str
    reason: str = "manual_bulk_pause"


class FaultRequest(BaseModel):
    service: str
    mode: str = Field(max_length=100)
    delay_ms: int | None = Field(default=None, ge=0, le=3_600_000)
