"""What a ballot, a poll action or a secret count can be refused with (codes in docs/protocol-voting.md)."""
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


class TallyFailed(DomainError):
    code = "tally_failed"
    http_status = 409


class BallotKeyUnavailable(DomainError):
    code = "ballot_key_unavailable"
    http_status = 503
