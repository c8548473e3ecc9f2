"""ListRecords and ListIdentifiers: keyset pages over (datestamp, row id) with a frozen upper bound.

The first request freezes the list's upper bound at the response time (at the latest datestamp
when the store has stamped records past the clock; at the client's ``until`` when earlier), so a
record changed during a harvest moves past the bound instead of being listed twice or skipped
silently; the next incremental harvest (``from`` = the first response's ``responseDate``) gets it.
Ref: <https://www.openarchives.org/OAI/openarchivesprotocol.html#ListRecords>
"""

from __future__ import annotations

import logging

from app.oai import formats, tokens
from app.oai.errors import CannotDisseminateFormat, NoRecordsMatch, NoSetHierarchy
from app.oai.responses import Context, envelope, header_markup, record_markup, splice
from app.oai.tokens import ListState
from app.oai.verbs import Arguments
from app.xml import format_datestamp, sub

logger = logging.getLogger(__name__)


def first_state(ctx: Context, args: Arguments) -> ListState:
    """Returns the state of a new list: its frozen bound and complete size.

    Raises:
        CannotDisseminateFormat: the metadataPrefix is not published.
        NoSetHierarchy: a set was asked for and no set is defined.
        NoRecordsMatch: the list is empty (or the set unknown).
    """
    assert args.metadata_prefix is not None
    if args.metadata_prefix not in formats.offered(ctx.config):
        raise CannotDisseminateFormat(f"{args.metadata_prefix} is not published here")
    if args.set_ is not None:
        specs = {row[0] for row in ctx.store.list_sets()}
        if not specs:
            raise NoSetHierarchy("this repository has no sets")
        if args.set_ not in specs:
            raise NoRecordsMatch(f"there is no set {args.set_}")
    # the store gives a record changed twice in one second the next second: the bound may have to
    # lie past the clock so that a full harvest holds every record
    latest = ctx.store.conn.execute("SELECT MAX(datestamp) FROM records").fetchone()[0] or 0
    bound = max(ctx.now, latest)
    until = bound if args.until is None else min(args.until, bound)
    total = ctx.store.count_records(from_=args.from_, until=until, set_spec=args.set_)
    if not total:
        raise NoRecordsMatch("no records match the arguments")
    return ListState(args.metadata_prefix, args.from_, until, args.set_, None, 0, total)


def list_headers_or_records(ctx: Context, args: Arguments) -> bytes:
    """ListRecords or ListIdentifiers (``args.verb``), first page or resumed.

    Raises:
        BadResumptionToken: the token is garbage, tampered, for another verb, or expired.
        CannotDisseminateFormat, NoSetHierarchy, NoRecordsMatch: see :func:`first_state`.
    """
    verb = args.verb
    with_metadata = verb == "ListRecords"
    secret, max_age = ctx.config["SECRET_KEY"], int(ctx.config["OAI_TOKEN_MAX_AGE"])
    if args.resumption_token is not None:
        state = tokens.decode(args.resumption_token, secret_key=secret, verb=verb, max_age=max_age)
    else:
        state = first_state(ctx, args)
    size = max(
        1, int(ctx.config["OAI_PAGE_SIZE" if with_metadata else "OAI_IDENTIFIERS_PAGE_SIZE"])
    )
    after, chunks, sent = state.after, [], 0
    while True:
        rows = ctx.store.list_records(
            from_=state.from_,
            until=state.until,
            set_spec=state.set_,
            after=after,
            limit=size + 1,
            prefix=state.metadata_prefix if with_metadata else None,
        )
        more = len(rows) > size
        rows = rows[:size]
        for row in rows:
            if with_metadata and not row.deleted and row.xml is None:
                logger.warning(
                    "%s has no published %s: run republish", row.identifier, state.metadata_prefix
                )
                continue
            header = header_markup(
                ctx.identifier(row.identifier), row.datestamp, row.sets, row.deleted
            )
            chunks.append(record_markup(header, row.xml) if with_metadata else header)
        sent += len(rows)
        if rows:
            after = (rows[-1].datestamp, rows[-1].id)
        # a page of records without this format only: read on, a list page cannot be empty
        if chunks or not more:
            break
    if not chunks:
        # every remaining record changed after the list began: it is past the frozen bound
        raise NoRecordsMatch("no more records match: they changed after the list began")
    root = envelope(ctx, args)
    container = sub(root, verb)
    if more:
        following = ListState(
            state.metadata_prefix,
            state.from_,
            state.until,
            state.set_,
            after,
            state.cursor + sent,
            state.total,
        )
        sub(
            container,
            "resumptionToken",
            tokens.encode(following, secret_key=secret, verb=verb),
            completeListSize=str(max(state.total, following.cursor + 1)),
            cursor=str(state.cursor),
            expirationDate=format_datestamp(ctx.now + max_age),
        )
    elif state.after is not None:
        sub(
            container,
            "resumptionToken",
            "",
            completeListSize=str(max(state.total, state.cursor + sent)),
            cursor=str(state.cursor),
        )
    return splice(root, container, chunks)
