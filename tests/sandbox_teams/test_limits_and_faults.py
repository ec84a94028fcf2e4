"""About four posts a second, then 429 with Retry-After; faults injected through the admin surface."""

from __future__ import annotations

import time

import pytest
import requests

from cynare.sandbox.teams.limits import RateLimit
from tests.sandbox_teams.conftest import message


def test_a_fifth_post_within_one_second_is_refused_with_429_and_retry_after(teams, clock):
    url, admin = teams
    answers = [requests.post(url, json=message(), timeout=5) for _ in range(5)]

    assert [a.status_code for a in answers] == [202, 202, 202, 202, 429]
    refused = answers[-1]
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["error"]["code"] == "WorkflowRequestsThrottled"
    assert len(admin.posts()) == 4

    clock.now += 1.0
    assert requests.post(url, json=message(), timeout=5).status_code == 202


def test_the_window_slides(clock):
    limit = RateLimit(per_second=2, clock=clock)
    assert limit.take() is None
    clock.now += 0.6
    assert limit.take() is None
    assert limit.take() == 1  # the first is still within the second
    clock.now += 0.5  # the first has left the window
    assert limit.take() is None


def test_a_refused_post_does_not_use_up_the_window(teams, clock):
    url, _ = teams
    for _ in range(4):
        response = requests.post(url.replace("sig=", "sig=x"), json=message(), timeout=5)
        assert response.status_code == 401
    assert requests.post(url, json=message(), timeout=5).status_code == 202


@pytest.mark.parametrize("status", ["500", "502", "503", "504"])
def test_the_next_posts_fail_with_the_injected_status_then_go_through(teams, clock, status):
    url, admin = teams
    admin.inject(status, count=2)

    answers = []
    for _ in range(3):
        answers.append(requests.post(url, json=message(), timeout=5).status_code)
        clock.now += 1.0
    assert answers == [int(status), int(status), 202]
    assert len(admin.posts()) == 1
    assert admin.faults() == []


def test_an_injected_429_carries_the_retry_after_asked_for(teams):
    url, admin = teams
    admin.inject("429", retry_after=7)

    response = requests.post(url, json=message(), timeout=5)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert admin.posts() == []


def test_an_injected_drop_closes_the_connection_without_an_answer(teams):
    url, admin = teams
    admin.inject("drop")

    with pytest.raises(requests.ConnectionError):
        requests.post(url, json=message(), timeout=5)
    assert admin.posts() == []


def test_an_injected_slow_answer_comes_after_the_seconds_asked_for(teams):
    url, admin = teams
    admin.inject("slow", seconds=0.3)

    started = time.perf_counter()
    response = requests.post(url, json=message(), timeout=5)

    assert time.perf_counter() - started >= 0.3
    assert response.status_code == 202
    assert len(admin.posts()) == 1


def test_the_admin_lists_pending_faults_and_refuses_unknown_ones(teams):
    _, admin = teams
    admin.inject("503", count=3)
    assert admin.faults() == [{"kind": "503", "remaining": 3, "retry_after": None, "seconds": 0.0}]

    with pytest.raises(RuntimeError, match="unknown fault kind '418'"):
        admin.inject("418")
    with pytest.raises(RuntimeError, match='"slow" fault needs "seconds"'):
        admin.inject("slow")


def test_reset_forgets_posts_faults_and_the_window_but_keeps_the_files(teams, clock):
    url, admin = teams
    for _ in range(4):
        requests.post(url, json=message(), timeout=5)
    files = [p["file"] for p in admin.posts()]
    admin.inject("500", count=5)

    admin.reset()

    assert admin.posts() == []
    assert admin.faults() == []
    assert requests.post(url, json=message(), timeout=5).status_code == 202
    assert all(__import__("pathlib").Path(f).is_file() for f in files)
