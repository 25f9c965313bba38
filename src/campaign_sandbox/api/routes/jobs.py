"""Job routes (contract §1.6): parse, call the domain, answer its model."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from campaign_sandbox.api.deps import DomainDep
from campaign_sandbox.models import JobStatus
from campaign_sandbox.schemas import responses as rs
from campaign_sandbox.schemas.requests import JobCreate

router = APIRouter()


@router.post("/", status_code=201, response_model=rs.Success[rs.JobOut])
def create_job(body: JobCreate, domain: DomainDep) -> rs.Success[rs.JobOut]:
    return rs.Success(data=domain.create_job(body))


@router.get("/", response_model=rs.Success[rs.JobPage])
def list_jobs(
    domain: DomainDep,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 10,
    status: JobStatus | None = None,
    campaign_id: Annotated[str | None, Query(max_length=1000)] = None,
) -> rs.Success[rs.JobPage]:
    return rs.Success(data=domain.list_jobs(page, per_page, status, campaign_id))


@router.get("/{job_id}", response_model=rs.Success[rs.JobOut])
def get_job(job_id: int, domain: DomainDep) -> rs.Success[rs.JobOut]:
    return rs.Success(data=domain.get_job(job_id))


@router.get("/{job_id}/status", response_model=rs.Success[rs.JobStatusOut])
def job_status(job_id: int, domain: DomainDep) -> rs.Success[rs.JobStatusOut]:
    return rs.Success(data=domain.job_status(job_id))


@router.post("/{job_id}/cancel", response_model=rs.StatusMessage)
def cancel_job(job_id: int, domain: DomainDep) -> rs.StatusMessage:
    return domain.cancel_job(job_id)


@router.delete("/{job_id}", response_model=rs.StatusMessage)
def delete_job(job_id: int, domain: DomainDep) -> rs.StatusMessage:
    return domain.cancel_job(job_id)
