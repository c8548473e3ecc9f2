"""CQL to Whoosh: hit counts checked against the stored MARC, and the diagnostic of each bad query."""

from __future__ import annotations

import pytest

from indexer.search import index, searching
from indexer.search.cql import QueryError, translate
from indexer.search.fields import standard_number
from tests.sru.protocol import (
    all_tokens,
    build_index,
    field_tokens,
    field_values,
    has_phrase,
    tokens,
    year,
)


@pytest.fixture
def corpus(store, app):
    """The sample store indexed, with its live records as pymarc records and their inventory."""
    index_dir = build_index(store, app)
    records = {r.identifier: r.marc for r in store.iter_records()}
    inventory = {mms: store.inventory.of(mms) for mms in records}
    return index_dir, records, inventory


def _common_word(records, name: str) -> str:
    """Returns a word found in this field of several records (so the query has real hits)."""
    counts: dict[str, int] = {}
    for record in records.values():
        for word in set(field_tokens(record, name)):
            if len(word) > 3:
                counts[word] = counts.get(word, 0) + 1
    return max(counts, key=lambda w: (counts[w], w))


def test_battery_of_queries_counts_what_the_marc_holds(corpus):
    index_dir, records, inventory = corpus
    title_word = _common_word(records, "title")
    creator_word = _common_word(records, "creator")
    subject_word = _common_word(records, "subjects")
    two = [
        w
        for w, _ in sorted(
            {w: 1 for r in records.values() for w in field_tokens(r, "title") if len(w) > 4}.items()
        )
    ][:2]
    phrase_record = next(r for r in records.values() if len(field_tokens(r, "title")) >= 3)
    phrase = field_tokens(phrase_record, "title")[:2]
    isbn_record = next(r for r in records.values() if r.get("020") and r["020"].get("a"))
    isbn = standard_number(isbn_record["020"]["a"])
    pair_record = next(
        r for r in records.values() if field_tokens(r, "title") and field_tokens(r, "creator")
    )
    pair = (field_tokens(pair_record, "title")[-1], field_tokens(pair_record, "creator")[0])
    years = sorted(y for y in (year(r) for r in records.values()) if y)
    middle = years[len(years) // 2]

    def title_has(word):
        return lambda r: word in field_tokens(r, "title")

    battery = {
        f"dc.title = {title_word}": title_has(title_word),
        f"alma.title = {title_word.upper()}": title_has(title_word),
        f"alma.creator = {creator_word}": lambda r: creator_word in field_tokens(r, "creator"),
        f"alma.subjects = {subject_word}": lambda r: subject_word in field_tokens(r, "subjects"),
        f'dc.title any "{two[0]} {two[1]}"': lambda r: bool(
            set(two) & set(field_tokens(r, "title"))
        ),
        f'dc.title all "{title_word} {phrase[0]}"': lambda r: (
            {title_word, phrase[0]} <= set(field_tokens(r, "title"))
        ),
        f'dc.title adj "{phrase[0]} {phrase[1]}"': lambda r: has_phrase(
            field_tokens(r, "title"), phrase
        ),
        f'dc.title = "{phrase[0]} {phrase[1]}"': lambda r: has_phrase(
            field_tokens(r, "title"), phrase
        ),
        f"dc.title = {title_word[:3]}*": lambda r: any(
            t.startswith(title_word[:3]) for t in field_tokens(r, "title")
        ),
        f"dc.title = {title_word[0]}?{title_word[2:]}": lambda r: any(
            len(t) == len(title_word) and t[0] == title_word[0] and t[2:] == title_word[2:]
            for t in field_tokens(r, "title")
        ),
        f"{title_word}": lambda r: title_word in all_tokens(r),
        f'cql.serverChoice all "{pair[0]} {pair[1]}"': lambda r: set(pair) <= all_tokens(r),
        f"dc.date > {middle}": lambda r: (year(r) or 0) > middle,
        f"dc.date <= {middle}": lambda r: year(r) is not None and year(r) <= middle,
        f'dc.date within "{years[0]} {middle}"': lambda r: (
            year(r) is not None and years[0] <= year(r) <= middle
        ),
        f"alma.main_pub_date = {middle}": lambda r: year(r) == middle,
        f"alma.isbn = {isbn}": lambda r: (
            isbn in {standard_number(v) for v in field_values(r, "isbn")}
        ),
        f"dc.title = {title_word} not dc.date > {middle}": lambda r: (
            title_has(title_word)(r) and not (year(r) or 0) > middle
        ),
        f"dc.title = {title_word} or alma.creator = {creator_word}": lambda r: (
            title_has(title_word)(r) or creator_word in field_tokens(r, "creator")
        ),
        f"dc.title <> {title_word}": lambda r: not title_has(title_word)(r),
        "cql.allRecords = 1": lambda r: True,
        "alma.availability = available": lambda r, inv=inventory: None,
    }
    with index.open_searcher(index_dir) as searcher:
        tags = index.local_tags(searcher)
        for query, matches in battery.items():
            found = set(
                searching.ids_of(searcher, searcher.docs_for_query(translate(query, tags).query))
            )
            if query == "alma.availability = available":
                expected = {
                    mms
                    for mms, inv in inventory.items()
                    if any(i.status == "available" for h in inv.holdings for i in h.items)
                    or any(p.available for p in inv.portfolios)
                }
            else:
                expected = {mms for mms, r in records.items() if matches(r)}
            assert found == expected, query
            assert expected or query.startswith("dc.title <>"), f"{query} should have hits"


def test_exact_and_anchored_title(corpus):
    index_dir, records, _ = corpus
    record = next(r for r in records.values() if len(field_tokens(r, "title")) >= 3)
    title = " ".join(tokens(field_values(record, "title")[0]))
    first_two = " ".join(title.split()[:2])
    last_two = " ".join(title.split()[-2:])

    def whole(r):
        return [" ".join(tokens(v)) for v in field_values(r, "title")]

    cases = {
        f'alma.title == "{title}"': lambda r: title in whole(r),
        f'alma.title = "^{first_two}"': lambda r: any(v.startswith(first_two) for v in whole(r)),
        f'alma.title = "{last_two}^"': lambda r: any(v.endswith(last_two) for v in whole(r)),
        f'alma.title = "^{title}^"': lambda r: title in whole(r),
    }
    with index.open_searcher(index_dir) as searcher:
        for query, matches in cases.items():
            found = set(searching.ids_of(searcher, searcher.docs_for_query(translate(query).query)))
            expected = {mms for mms, r in records.items() if matches(r)}
            assert found == expected and expected, query


def test_prefix_map_and_sort(corpus):
    index_dir, records, _ = corpus
    word = _common_word(records, "title")
    query = f'> t = "info:srw/cql-context-set/1/dc-v1.1" t.title = {word} sortBy dc.date/sort.descending'
    translated = translate(query)
    assert translated.sort == [("main_pub_date", True)]
    with index.open_searcher(index_dir) as searcher:
        total, ids = searching.search_page(searcher, translated, 1, 50)
    assert total == sum(1 for r in records.values() if word in field_tokens(r, "title"))
    dated = [year(records[i]) for i in ids if year(records[i]) is not None]
    assert dated == sorted(dated, reverse=True)


@pytest.mark.parametrize(
    ("query", "number"),
    [
        ("", 27),
        ("dc.title =", 10),
        ("(dc.title = a", 10),
        ("a and", 10),
        ("foo.title = a", 15),
        ('> x = "info:unknown" x.title = a', 15),
        ("dc.nothing = a", 16),
        ("alma.local_field_999 = a", 16),
        ("dc.title encloses a", 19),
        ("dc.date adj 1999", 19),
        ("alma.all_for_ui == a", 19),
        ("dc.title =/respectCase a", 20),
        ("dc.title =/fuzzy=2 a", 20),
        ('dc.title = ""', 27),
        ("dc.date = 19*", 28),
        ("dc.title = " + "a*" * 9, 30),
        (" and ".join(["a"] * 3000), 38),
        ("alma.all_for_ui = ^a", 31),
        ("dc.title = a^b", 32),
        ("dc.title any ^war", 32),
        ("dc.date = abc", 36),
        ('dc.date within "1990"', 36),
        ("dc.title = a prox/distance>2 dc.title = b", 40),
        ("dc.title = a prox/distance=x dc.title = b", 41),
        ("dc.title = a prox/unit=sentence dc.title = b", 42),
        ("dc.title = a prox dc.creator = b", 39),
        ("dc.title = a and/foo b", 46),
        ("dc.title = a sortBy dc.subject", 80),
        ("dc.title = a sortBy dc.title/sort.respectCase", 91),
        ("dc.title = a sortBy dc.title/sort.missingFail", 92),
        ("dc.title = a sortBy dc.title/sort.missingLow", 92),
    ],
)
def test_bad_query_raises_its_diagnostic(query, number):
    with pytest.raises(QueryError) as caught:
        translate(query)
    assert caught.value.number == number


def test_proximity_and_masking_escape(corpus):
    index_dir, records, _ = corpus
    record = next(r for r in records.values() if len(field_tokens(r, "title")) >= 4)
    words = field_tokens(record, "title")
    query = f"dc.title = {words[0]} prox/unit=word/distance<=3 dc.title = {words[2]}"
    with index.open_searcher(index_dir) as searcher:
        found = set(searching.ids_of(searcher, searcher.docs_for_query(translate(query).query)))
        assert record in [records[i] for i in found]
        # an escaped mask is a literal character, which no word holds
        escaped = set(
            searching.ids_of(
                searcher, searcher.docs_for_query(translate(f"dc.title = {words[0]}\\*").query)
            )
        )
    plain = {m for m, r in records.items() if words[0] in field_tokens(r, "title")}
    assert escaped == plain
