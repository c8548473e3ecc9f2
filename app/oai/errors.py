"""OAI-PMH errors: one exception per error code, rendered once as ``<error code="...">``.

Ref: <https://www.openarchives.org/OAI/openarchivesprotocol.html#ErrorConditions>
"""

from __future__ import annotations


class OAIError(Exception):
    """An OAI-PMH error condition; the code is the class name with a lower-case first letter."""

    #: whether the response echoes the request's arguments (not for badVerb and badArgument)
    echo_arguments = True

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    @classmethod
    def code(cls) -> str:
        """Returns the OAI-PMH error code, e.g. ``badResumptionToken``."""
        return cls.__name__[0].lower() + cls.__name__[1:]


class BadArgument(OAIError):
    """Illegal, missing, repeated or malformed arguments."""

    echo_arguments = False


class BadVerb(OAIError):
    """Missing, repeated or unknown verb."""

    echo_arguments = False


class BadResumptionToken(OAIError):
    """Invalid, tampered or expired resumption token."""


class CannotDisseminateFormat(OAIError):
    """The metadata format is not supported by the item or the repository."""


class IdDoesNotExist(OAIError):
    """The identifier is unknown or illegal in this repository."""


class NoMetadataFormats(OAIError):
    """No metadata formats are available for the item."""


class NoRecordsMatch(OAIError):
    """The combination of from, until, set and metadataPrefix gives an empty list."""


class NoSetHierarchy(OAIError):
    """The repository does not support sets."""
