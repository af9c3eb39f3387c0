"""MASH clocks in words, and what a linked person is to the person (from both roles)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from safeguard.domain.mash import Clock
from safeguard.services.associates import relation

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def test_a_clock_says_whether_it_is_running_overdue_done_or_done_late() -> None:
    due = NOW + timedelta(hours=3)
    assert Clock(due, None, NOW).state == "running"
    assert Clock(due, None, NOW).hours_left == 3.0
    assert Clock(NOW - timedelta(hours=1), None, NOW).state == "overdue"
    assert Clock(NOW - timedelta(hours=1), None, NOW).hours_left == -1.0
    assert Clock(due, NOW, NOW).state == "done" and Clock(due, NOW, NOW).hours_left is None
    assert Clock(NOW - timedelta(hours=1), NOW, NOW).state == "done late"
    assert Clock(None, None, NOW).state == "no clock" and Clock(None, None, NOW).hours_left is None


def test_what_the_other_party_is_follows_both_roles_and_the_relationship() -> None:
    assert relation("victim", "suspect", "intimate_partner", None) == "partner (suspect)"
    assert relation("victim", "suspect", "stranger", None) == "suspect"
    assert relation("suspect", "victim", None, "ex_partner") == "partner (victim)"
    assert relation("suspect", "victim", None, "acquaintance") == "victim"
    assert relation("victim", "child_present", None, "child") == "child"
    assert relation("child_present", "suspect", "child", None) == "parent or carer"
    assert relation("witness", "victim", None, "family_member") == "family member"
    assert relation("witness", "witness", None, None) == "associate"
