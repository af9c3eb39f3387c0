"""Sign-in throttling with the ``limits`` library: moving windows over failed attempts, several
tiers per key, so each further failure waits longer (``safeguard.domain.accounts``).

Keys: a browser the account has signed in from before (a signed "trusted browser" cookie) is
throttled on its own; any other attempt counts against the username and against the source
address. A stranger failing on purpose therefore slows only the untrusted path, and the officer
at their usual browser signs in as ever. Counters live in the storage the URI names
(``memory://`` by default: one process; ``redis://...`` shares them between workers).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from safeguard.domain.accounts import ThrottlePolicy
from safeguard.domain.partners import name_key


@dataclass(frozen=True, slots=True)
class Attempt:
    """Who is trying to sign in, from where: what throttling keys on."""

    username: str
    source: str
    browser: str | None = None  # id of a trusted browser of this username, if one was shown

    def keys(self, throttle: SignInThrottle) -> list[tuple[list[RateLimitItem], tuple[str, ...]]]:
        if self.browser is not None:
            return [(throttle.per_browser, ("browser", self.browser))]
        return [
            (throttle.per_account, ("account", name_key(self.username)[:64])),
            (throttle.per_source, ("source", self.source[:64])),
        ]


class SignInThrottle:
    """Counts failed sign-ins and says how long the next attempt must wait."""

    def __init__(self, policy: ThrottlePolicy, storage_uri: str = "memory://") -> None:
        self.storage = storage_from_string(storage_uri)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.per_account = parse_many(policy.per_account)
        self.per_source = parse_many(policy.per_source)
        self.per_browser = parse_many(policy.per_browser)

    def wait(self, attempt: Attempt) -> int:
        """Seconds before ``attempt`` may be tried (0: now)."""
        now = time.time()
        longest = 0.0
        for items, ids in attempt.keys(self):
            for item in items:
                if not self.limiter.test(item, *ids):
                    reset = self.limiter.get_window_stats(item, *ids).reset_time
                    longest = max(longest, reset - now)
        return math.ceil(longest) if longest > 0 else 0

    def failed(self, attempt: Attempt) -> None:
        for items, ids in attempt.keys(self):
            for item in items:
                self.limiter.hit(item, *ids)

    def succeeded(self, attempt: Attempt) -> None:
        """A right password clears the counters of the path it came by."""
        for items, ids in attempt.keys(self):
            for item in items:
                self.limiter.clear(item, *ids)

    def reset(self) -> None:
        self.storage.reset()
