"""The safeguard exception hierarchy.

* SafeguardError
  + ConfigError              settings invalid at start-up
  + NotFound                 404
  + PermissionDenied         403
    + Refused                403  the access policy said no; carries who, what, why (domain.access)
      + BreakGlassRequired   403  a restricted person: record a reason first (domain.access)
    + CsrfFailed             403  a form without its anti-forgery token (web.deps)
    + SignInFailed           401  wrong name or password, locked (services.accounts)
    + NotSignedIn            401  no or expired session or token (services.accounts)
    + Throttled              429  too many failed sign-ins lately (services.accounts)
  + InvalidTransition        409  e.g. referral already accepted
  + Conflict                 409  e.g. a concurrent change
  + ValidationFailed         422  bad input, names the file/row/field where it can
    + IncompleteAssessment   422
    + ConsentRequired        422
    + ModelRefused           422  a stored risk model of unknown format, untrusted content or
                                  features that do not match the code (adapters.model_store)
  + IngestError              a file that cannot be read at all (encoding, truncated...)

Classes defined beside the code that raises them are listed with their module; a test keeps
this tree complete. The web layer maps each to its status in one table (``web/errors.py``); the
CLI prints the message and exits with code 2.
"""

from __future__ import annotations


class SafeguardError(Exception):
    """Base of every error safeguard raises on purpose."""


class ConfigError(SafeguardError):
    """Settings are missing or unsafe."""


class NotFound(SafeguardError):
    """The thing asked for does not exist (or the caller may not know it exists)."""


class PermissionDenied(SafeguardError):
    """The actor may not do this."""


class InvalidTransition(SafeguardError):
    """The state change is not allowed from the current state."""


class Conflict(SafeguardError):
    """The change conflicts with the stored state."""


class ValidationFailed(SafeguardError):
    """Input is invalid; the message names where."""


class IncompleteAssessment(ValidationFailed):
    """An assessment is missing answers and cannot be graded."""


class ConsentRequired(ValidationFailed):
    """Sharing needs consent or a recorded lawful reason."""


class IngestError(SafeguardError):
    """A whole input file cannot be read (encoding, truncation, unknown format)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
