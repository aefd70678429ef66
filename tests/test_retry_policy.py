"""RetryPolicy: the first attempt is made outside tenacity, the retries through it, with the same
attempts, waits and errors as when tenacity drove every attempt."""

import pytest

from lib.cloud.cos import RetryPolicy
from lib.cloud.errors import ApiError


def failing(*errors, then="ok"):
    """A read that raises `errors` one after another, then answers `then`; it counts its attempts."""
    pending = list(errors)
    attempts = []

    def read():
        attempts.append(len(attempts) + 1)
        if pending:
            raise pending.pop(0)
        return then

    return read, attempts


def throttled(n=1):
    return [ApiError(api="GET /", http_status=429, code="SlowDown", message=f"try {i}", retryable=True)
            for i in range(1, n + 1)]


def policy(waits, attempts=3):
    return RetryPolicy(attempts=attempts, initial_wait=0.2, max_wait=2.0, sleep=waits.append)


def test_a_read_that_answers_at_once_makes_one_attempt_and_never_waits():
    waits = []
    read, attempts = failing()
    assert policy(waits).call(read) == "ok"
    assert attempts == [1] and waits == []


def test_a_retryable_failure_is_retried_after_tenacitys_back_off():
    waits = []
    read, attempts = failing(*throttled(1))
    assert policy(waits).call(read) == "ok"
    assert attempts == [1, 2]
    assert len(waits) == 1 and 0.2 <= waits[0] <= 2.0  # exponential with jitter, never past max_wait


def test_every_attempt_failing_ends_with_the_last_error_after_all_attempts():
    waits = []
    read, attempts = failing(*throttled(5))
    with pytest.raises(ApiError) as info:
        policy(waits, attempts=3).call(read)
    assert attempts == [1, 2, 3] and len(waits) == 2
    assert info.value.message == "try 3"


def test_a_failure_that_is_not_retryable_is_raised_at_once():
    waits = []
    denied = ApiError(api="GET /", http_status=403, code="AccessDenied", retryable=False)
    read, attempts = failing(denied)
    with pytest.raises(ApiError) as info:
        policy(waits).call(read)
    assert info.value is denied and attempts == [1] and waits == []


def test_a_policy_of_one_attempt_never_retries():
    waits = []
    read, attempts = failing(*throttled(1))
    with pytest.raises(ApiError):
        policy(waits, attempts=1).call(read)
    assert attempts == [1] and waits == []


def test_an_exception_that_is_not_an_api_error_is_not_retried():
    waits = []
    read, attempts = failing(ValueError("a bug"))
    with pytest.raises(ValueError):
        policy(waits).call(read)
    assert attempts == [1] and waits == []
