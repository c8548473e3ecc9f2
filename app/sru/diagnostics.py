"""SRU diagnostics: an enum of (number, message) and the exception that carries one.

Ref: <https://www.loc.gov/standards/sru/diagnostics/diagnosticsList.html>
"""

from __future__ import annotations

from enum import Enum

DIAGNOSTIC_URI = "info:srw/diagnostic/1/"


class Diagnostic(Enum):
    """The SRU diagnostics this server raises."""

    GENERAL_SYSTEM_ERROR = (1, "General system error")
    SYSTEM_TEMPORARILY_UNAVAILABLE = (2, "System temporarily unavailable")
    UNSUPPORTED_OPERATION = (4, "Unsupported operation")
    UNSUPPORTED_VERSION = (5, "Unsupported version")
    UNSUPPORTED_PARAMETER_VALUE = (6, "Unsupported parameter value")
    MANDATORY_PARAMETER_NOT_SUPPLIED = (7, "Mandatory parameter not supplied")
    UNSUPPORTED_PARAMETER = (8, "Unsupported parameter")
    QUERY_SYNTAX_ERROR = (10, "Query syntax error")
    UNSUPPORTED_CONTEXT_SET = (15, "Unsupported context set")
    UNSUPPORTED_INDEX = (16, "Unsupported index")
    UNSUPPORTED_RELATION = (19, "Unsupported relation")
    UNSUPPORTED_RELATION_MODIFIER = (20, "Unsupported relation modifier")
    EMPTY_TERM_UNSUPPORTED = (27, "Empty term unsupported")
    MASKING_CHARACTER_NOT_SUPPORTED = (28, "Masking character not supported")
    TOO_MANY_MASKING_CHARACTERS = (30, "Too many masking characters in term")
    ANCHORING_CHARACTER_NOT_SUPPORTED = (31, "Anchoring character not supported")
    ANCHORING_CHARACTER_IN_UNSUPPORTED_POSITION = (
        32,
        "Anchoring character in unsupported position",
    )
    TERM_IN_INVALID_FORMAT = (36, "Term in invalid format for index or relation")
    UNSUPPORTED_BOOLEAN_OPERATOR = (37, "Unsupported boolean operator")
    TOO_MANY_BOOLEAN_OPERATORS = (38, "Too many boolean operators in query")
    PROXIMITY_NOT_SUPPORTED = (39, "Proximity not supported")
    UNSUPPORTED_PROXIMITY_RELATION = (40, "Unsupported proximity relation")
    UNSUPPORTED_PROXIMITY_DISTANCE = (41, "Unsupported proximity distance")
    UNSUPPORTED_PROXIMITY_UNIT = (42, "Unsupported proximity unit")
    UNSUPPORTED_BOOLEAN_MODIFIER = (46, "Unsupported boolean modifier")
    CANNOT_PROCESS_QUERY = (47, "Cannot process query; reason unknown")
    FIRST_RECORD_POSITION_OUT_OF_RANGE = (61, "First record position out of range")
    RECORD_DOES_NOT_EXIST = (65, "Record does not exist")
    UNKNOWN_SCHEMA_FOR_RETRIEVAL = (66, "Unknown schema for retrieval")
    UNSUPPORTED_RECORD_PACKING = (71, "Unsupported record packing")
    XPATH_RETRIEVAL_UNSUPPORTED = (72, "XPath retrieval unsupported")
    SORT_NOT_SUPPORTED = (80, "Sort not supported")
    DUPLICATE_SORT_KEYS = (85, "Duplicate sort keys")
    UNSUPPORTED_SCHEMA_FOR_SORT = (87, "Unsupported schema for sort")
    UNSUPPORTED_PATH_FOR_SORT = (88, "Unsupported path for sort")
    UNSUPPORTED_DIRECTION = (90, "Unsupported direction")
    UNSUPPORTED_CASE = (91, "Unsupported case")
    UNSUPPORTED_MISSING_VALUE_ACTION = (92, "Unsupported missing value action")
    STYLESHEETS_NOT_SUPPORTED = (110, "Stylesheets not supported")

    @property
    def number(self) -> int:
        """Returns the diagnostic number."""
        return self.value[0]

    @property
    def message(self) -> str:
        """Returns the diagnostic's standard message."""
        return self.value[1]

    @property
    def uri(self) -> str:
        """Returns the diagnostic URI (``info:srw/diagnostic/1/<number>``)."""
        return f"{DIAGNOSTIC_URI}{self.number}"

    @classmethod
    def of_number(cls, number: int) -> Diagnostic:
        """Returns the diagnostic with this number (47 when this server does not name it)."""
        for diagnostic in cls:
            if diagnostic.number == number:
                return diagnostic
        return cls.CANNOT_PROCESS_QUERY


class SRUDiagnostic(Exception):
    """A fatal diagnostic: the response carries it instead of records (HTTP 200)."""

    def __init__(self, diagnostic: Diagnostic, details: str = "") -> None:
        super().__init__(f"{diagnostic.number} {diagnostic.message}: {details}")
        self.diagnostic = diagnostic
        self.details = details
