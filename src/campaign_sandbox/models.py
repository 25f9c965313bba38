"""ORM models with the platform's table names, column names and enum strings (contract §3, §6)."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class CampaignStatus(enum.StrEnum):
    CREATED = "CREATED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class JobStatus(enum.StrEnum):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    PAUSED = "PAUSED"


class JobType(enum.StrEnum):
    FETCH_LEADS = "FETCH_LEADS"
    ENRICH_LEAD = "ENRICH_LEAD"
    CLEANUP_CAMPAIGN = "CLEANUP_CAMPAIGN"


VALID_TRANSITIONS: dict[CampaignStatus, list[CampaignStatus]] = {
    CampaignStatus.CREATED: [CampaignStatus.RUNNING, CampaignStatus.FAILED],
    CampaignStatus.RUNNING: [CampaignStatus.PAUSED, CampaignStatus.COMPLETED, CampaignStatus.FAILED],
    CampaignStatus.PAUSED: [CampaignStatus.RUNNING, CampaignStatus.FAILED],
    CampaignStatus.COMPLETED: [],
    CampaignStatus.FAILED: [],
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_uuid() -> str:
    return str(uuid.uuid4())


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Native PostgreSQL enum types named as on the platform; plain strings on SQLite.
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], validate_strings=True)


class Base(DeclarativeBase):
    pass


class Timestamps:
    """created_at / updated_at as organizations, campaigns, leads and users have them (jobs differ)."""

    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow, server_default=func.now()
    )


class Organization(Timestamps, Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)


class Campaign(Timestamps, Base):
    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[CampaignStatus] = mapped_column(
        _enum(CampaignStatus, "campaignstatus"), nullable=False, default=CampaignStatus.CREATED
    )
    organization_id: Mapped[str] = mapped_column(String(36), ForeignKey("organizations.id"), nullable=False)
    status_message: Mapped[str | None] = mapped_column(Text)
    status_error: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fileName: Mapped[str] = mapped_column("fileName", String(255), nullable=False)
    totalRecords: Mapped[int] = mapped_column("totalRecords", Integer, nullable=False)
    url: Mapped[str] = mapped_column(Text, nullable=False)
    instantly_campaign_id: Mapped[str | None] = mapped_column(String(64))


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True, autoincrement=True)
    task_id: Mapped[str | None] = mapped_column(String, unique=True, index=True)
    name: Mapped[str] = mapped_column(String, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus, "jobstatus"), nullable=False)
    result: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )
    # As on the platform: null at insert, set by the ORM on every update.
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    campaign_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("campaigns.id"), index=True)
    job_type: Mapped[JobType] = mapped_column(
        _enum(JobType, "jobtype"),
        nullable=False,
        index=True,
        default=JobType.FETCH_LEADS,
        server_default=JobType.FETCH_LEADS.value,
    )


class Lead(Timestamps, Base):
    __tablename__ = "leads"
    __table_args__ = (
        Index(
            "idx_leads_email_unique",
            "email",
            unique=True,
            postgresql_where=text("email IS NOT NULL"),
            sqlite_where=text("email IS NOT NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True, default=new_uuid)
    campaign_id: Mapped[str] = mapped_column(String(36), ForeignKey("campaigns.id"), nullable=False)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(255), index=True)
    phone: Mapped[str | None] = mapped_column(String(50))
    company: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(255))
    linkedin_url: Mapped[str | None] = mapped_column(String(255))
    source_url: Mapped[str | None] = mapped_column(String(255))
    raw_data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    email_verification: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    enrichment_results: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    email_copy_gen_results: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    instantly_lead_record: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    enrichment_job_id: Mapped[str | None] = mapped_column(String(36))


class User(Timestamps, Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True, default=new_uuid)
    email: Mapped[str] = mapped_column(String(255), nullable=False, unique=True, index=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    password: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    failed_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_failed_attempt: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
