"""Background jobs of this package, run by `alveole.worker`: each is idempotent and safe to
run in several processes at once (every expiry is a conditional update in the session's
serialised transaction)."""
from __future__ import annotations

from kernel.jobs import Job
from booking import checkout, service

JOBS: list[Job] = [
    Job("booking.expire_holds", service.expire_holds),
    Job("booking.expire_offers", service.expire_offers),
    Job("booking.purge_idempotency_keys", service.purge_idempotency_keys),
    Job("booking.purge_quota_events", service.purge_quota_events),
    Job("booking.carry_out_refunds", checkout.carry_out_refunds),
    Job("booking.erase_guests", service.erase_guests),
]
