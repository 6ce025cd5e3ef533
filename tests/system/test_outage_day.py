"""The outage day, short form: stand-in, agent and app as real processes through a scanner pty,
with the central API down, slow, failing and dropping connections by turns, book management alone
down, the clock compressed, and both kiosk processes SIGKILLed and restarted along the way.
The scenario and its checks live in ``kiosk_testing/outage_day.py``; ``python -m bench.outage_day`` runs its long form.
"""

from __future__ import annotations

from kiosk_testing.outage_day import SHORT, run_day


def test_a_bad_day_loses_nothing_and_applies_nothing_twice(tmp_path) -> None:
    report = run_day(SHORT, tmp_path)
    print(report.table())
    verdict, tally = report.verdict, report.tally
    assert verdict.problems == []
    assert verdict.lost == 0 and verdict.duplicates == 0 and verdict.dead_letters == 0
    assert verdict.borrows_unconfirmed == 0 and verdict.fines_wrong == 0
    assert verdict.left_centrally == 0 and verdict.compensated_twice == 0
    # The day really was bad, and the checks had something to bite on:
    assert {"down", "slow", "flaky", "book_down"} <= set(tally.phases)
    assert tally.app_kills > 0 and tally.agent_kills > 0
    assert verdict.acknowledged >= 5 and verdict.delivered == verdict.acknowledged
    assert verdict.borrows_shown > 0
    assert verdict.delivered_a_day_later > 0, "no return crossed a day between patron and delivery"
