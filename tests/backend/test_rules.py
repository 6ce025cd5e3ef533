"""The lending rules' numbers and the calendar-day fine."""

from datetime import UTC, datetime

from backend_stub import rules


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_loan_and_hold_periods():
    start = at("2026-03-01T09:00:00")
    assert rules.due_at(start) == at("2026-03-15T09:00:00")
    assert rules.hold_until(start) == at("2026-03-04T09:00:00")


def test_returns_on_the_due_day_are_free_whatever_the_hour():
    due = at("2026-03-15T01:00:00")            # 10:00 in Seoul
    assert rules.fine_for(due, at("2026-03-15T14:59:00")) == 0   # 23:59 in Seoul
    assert rules.fine_for(due, at("2026-03-14T00:00:00")) == 0   # early


def test_fine_counts_calendar_days_in_seoul():
    due = at("2026-03-15T01:00:00")
    assert rules.fine_for(due, at("2026-03-15T15:00:00")) == 100   # 00:00 next day in Seoul
    assert rules.fine_for(due, at("2026-03-20T02:00:00")) == 5 * rules.FINE_PER_DAY


def test_blocking_threshold_is_strictly_over_the_limit():
    assert not rules.is_blocked_by_fines(rules.FINE_BLOCK_LIMIT)
    assert rules.is_blocked_by_fines(rules.FINE_BLOCK_LIMIT + 1)
