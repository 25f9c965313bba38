"""Reads the sandbox's tables the way an outside probe would: SQLAlchemy Core on its database URL."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BindParameter, bindparam, create_engine, text


@dataclass(frozen=True)
class EnrichmentFacts:
    leads: int
    leads_without_completed_job: int
    enrich_jobs: int
    leads_with_several_jobs: int
    duplicate_emails: int


def enrichment_facts(database_url: str, campaign_ids: list[str]) -> EnrichmentFacts:
    """Every lead of these campaigns, its ENRICH_LEAD jobs, and emails shared between campaigns."""
    engine = create_engine(database_url)
    ids: BindParameter[list[str]] = bindparam("ids", expanding=True)
    try:
        with engine.connect() as conn:
            leads = conn.execute(
                text("SELECT id, enrichment_job_id, email FROM leads WHERE campaign_id IN :ids").bindparams(
                    ids
                ),
                {"ids": campaign_ids},
            ).all()
            jobs = conn.execute(
                text(
                    "SELECT id, status, description FROM jobs "
                    "WHERE job_type = 'ENRICH_LEAD' AND campaign_id IN :ids"
                ).bindparams(ids),
                {"ids": campaign_ids},
            ).all()
            duplicates = conn.execute(
                text("SELECT count(*) FROM (SELECT email FROM leads GROUP BY email HAVING count(*) > 1) d")
            ).scalar_one()
    finally:
        engine.dispose()
    completed = {str(j.id) for j in jobs if j.status == "COMPLETED"}
    per_email: dict[str, int] = {}
    for j in jobs:
        email = str(j.description).removeprefix("Enrich lead ")
        per_email[email] = per_email.get(email, 0) + 1
    return EnrichmentFacts(
        leads=len(leads),
        leads_without_completed_job=sum(1 for lead in leads if lead.enrichment_job_id not in completed),
        enrich_jobs=len(jobs),
        leads_with_several_jobs=sum(1 for n in per_email.values() if n > 1),
        duplicate_emails=int(duplicates),
    )
