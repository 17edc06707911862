"""What a ballot or a poll action can be refused with (codes in docs/protocol.md)."""
from sessions.errors import DomainError


class NotEligible(DomainError):
    code = "not_eligible"
    http_status = 403


class PollClosed(DomainError):
    code = "poll_closed"
    http_status = 409


class AlreadyVoted(DomainError):
    code = "already_voted"
    http_status = 409


class QuorumMissing(DomainError):
    code = "no_quorum"
    http_status = 409
