"""Job routes (contract §1.6)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign_sandbox.api.deps import ReadSession, WriteSession
from campaign_sandbox.models import Campaign, Job, JobStatus, JobType
from campaign_sandbox.schemas.requests import JobCreate
from campaign_sandbox.schemas.responses import success
from campaign_sandbox.services import iso_z, job_response, pages_for

router = APIRouter()

_INT32_MAX = 2_147_483_647


def _get(session: Session, job_id: int) -> Job:
    # Ids outside the column's range cannot exist; asking the database would be an error, not a 404.
    job = session.get(Job, job_id) if 0 < job_id <= _INT32_MAX else None
    if job is None:
        raise HTTPException(status_code=404, detail=f"Job {job_id} not found")
    return job


@router.post("/", status_code=201)
def create_job(body: JobCreate, session: WriteSession) -> dict[str, Any]:
    if body.campaign_id is not None and session.get(Campaign, body.campaign_id) is None:
        raise HTTPException(status_code=400, detail=f"Campaign {body.campaign_id} not found")
    # The platform runs a demo task for these; the sandbox leaves the job PENDING.
    job = Job(
        name=body.name,
        description=body.description,
        job_type=body.job_type or JobType.FETCH_LEADS,
        status=JobStatus.PENDING,
        campaign_id=body.campaign_id,
        task_id=str(uuid.uuid4()),
    )
    session.add(job)
    session.flush()
    return success(job_response(job))


@router.get("/")
def list_jobs(
    session: ReadSession,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 10,
    status: JobStatus | None = None,
    campaign_id: Annotated[str | None, Query(max_length=1000)] = None,
) -> dict[str, Any]:
    query = select(Job)
    if status is not None:
        query = query.where(Job.status == status)
    if campaign_id is not None:
        query = query.where(Job.campaign_id == campaign_id)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    jobs = session.scalars(query.order_by(Job.id).offset((page - 1) * per_page).limit(per_page)).all()
    return success(
        {
            "jobs": [job_response(j) for j in jobs],
            "total": total,
            "page": page,
            "per_page": per_page,
            "pages": pages_for(total, per_page),
        }
    )


@router.get("/{job_id}")
def get_job(job_id: int, session: ReadSession) -> dict[str, Any]:
    return success(job_response(_get(session, job_id)))


@router.get("/{job_id}/status")
def job_status(job_id: int, session: ReadSession) -> dict[str, Any]:
    job = _get(session, job_id)
    return success(
        {
            "id": job.id,
            "status": job.status.value,
            "created_at": iso_z(job.created_at),
            "updated_at": iso_z(job.updated_at),
            "completed_at": iso_z(job.completed_at),
        }
    )


def _cancel(job_id: int, session: Session) -> dict[str, Any]:
    job = _get(session, job_id)
    if job.status not in (JobStatus.PENDING, JobStatus.PROCESSING):
        raise HTTPException(
            status_code=400, detail=f"Cannot cancel job in JobStatus.{job.status.value} status"
        )
    job.status = JobStatus.CANCELLED
    return {"status": "success", "message": f"Job {job_id} cancelled"}


@router.post("/{job_id}/cancel")
def cancel_job(job_id: int, session: WriteSession) -> dict[str, Any]:
    return _cancel(job_id, session)


@router.delete("/{job_id}")
def delete_job(job_id: int, session: WriteSession) -> dict[str, Any]:
    return _cancel(job_id, session)
