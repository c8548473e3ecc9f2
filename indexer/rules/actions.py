"""Actions of the rule language, run on a copy-on-write working record.

Choices where Alma's documentation leaves the detail open:

- fields added by ``addField`` / ``addControlField`` go before the first field with a greater tag;
  ``changeField`` keeps the field where it was;
- ``removeSubField`` removes a data field left with no subfield (MARC has no empty data fields);
- ``replaceContents`` replaces every occurrence of a value without ``*``; a value with ``*``
  replaces the whole subfield when it matches (``"500.a.*"`` sets every 500 $a);
- ``correctDuplicateFields`` keeps the first of identical data fields (tag, indicators, subfields);
  without a tag list it looks at every data field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pymarc import Field, Indicators, Leader, Subfield

if TYPE_CHECKING:
    from pymarc import Record

    from indexer.rules.conditions import Condition
    from indexer.rules.paths import ControlPath, FieldPath


def _clone(fld: Field) -> Field:
    copy = Field.__new__(Field)
    copy.tag = fld.tag
    copy.control_field = fld.control_field
    copy.data = fld.data
    copy._indicators = fld._indicators
    copy.subfields = list(fld.subfields)
    return copy


class Work:
    """The record being normalized: a copy whose fields are cloned only when first changed."""

    __slots__ = ("record", "owned")

    def __init__(self, record: Record) -> None:
        self.record = record
        self.owned: set[int] = set()

    def own(self, index: int) -> Field:
        """Returns the field at ``index``, cloned first if it is still shared with the original."""
        fld = self.record.fields[index]
        if id(fld) not in self.owned:
            fld = _clone(fld)
            self.record.fields[index] = fld
            self.owned.add(id(fld))
        return fld

    def insert(self, fld: Field) -> None:
        """Adds a new field before the first field with a greater tag."""
        fields = self.record.fields
        index = len(fields)
        for i, other in enumerate(fields):
            if other.tag > fld.tag:
                index = i
                break
        fields.insert(index, fld)
        self.owned.add(id(fld))


@dataclass(frozen=True, slots=True)
class Action:
    """Base of the actions; ``when`` is the optional ``if (...)`` suffix."""

    when: Condition | None

    def run(self, work: Work) -> None:
        """Applies the action to the working record."""
        raise NotImplementedError

    def _allowed(self, work: Work, fld: Field | None, scope: str | None) -> bool:
        return self.when is None or self.when.test(work.record, fld, scope)


def _targets(action: Action, work: Work, path: FieldPath) -> list[int]:
    """Indexes of the data fields that match ``path``'s tag and indicators and the action's if."""
    test = path.tag_test
    return [
        i
        for i, f in enumerate(work.record.fields)
        if test(f.tag) and path.field_matches(f) and action._allowed(work, f, path.tag)
    ]


@dataclass(frozen=True, slots=True)
class RemoveField(Action):
    """``removeField "tag[.{i,i}][.code[.value]]"``: removes the matching fields."""

    path: FieldPath

    def run(self, work: Work) -> None:
        path = self.path
        test = path.tag_test
        fields = work.record.fields
        if not any(test(f.tag) for f in fields):
            return
        bare = path.code is None and path.ind1 is None and path.ind2 is None
        keep = []
        for f in fields:
            if not test(f.tag):
                keep.append(f)
                continue
            hit = path.selects(f) if not f.control_field else bare
            if not (hit and self._allowed(work, f, path.tag)):
                keep.append(f)
        work.record.fields[:] = keep


@dataclass(frozen=True, slots=True)
class RemoveControlField(Action):
    """``removeControlField "tag[.{pos,len}.value]"``: removes the matching control fields."""

    path: ControlPath

    def run(self, work: Work) -> None:
        path = self.path
        test = path.tag_test
        if not any(test(f.tag) for f in work.record.fields):
            return
        work.record.fields[:] = [
            f
            for f in work.record.fields
            if not (
                f.control_field
                and test(f.tag)
                and path.data_matches(f.data or "")
                and self._allowed(work, f, path.tag)
            )
        ]


@dataclass(frozen=True, slots=True)
class RemoveSubField(Action):
    """``removeSubField "tag.code[.value]"``: removes the matching subfields."""

    path: FieldPath

    def run(self, work: Work) -> None:
        path = self.path
        emptied = []
        for i in _targets(self, work, path):
            subfields = work.record.fields[i].subfields
            if any(path.subfield_matches(c, v) for c, v in subfields):
                fld = work.own(i)
                fld.subfields = [s for s in fld.subfields if not path.subfield_matches(*s)]
                if not fld.subfields:
                    emptied.append(fld)
        if emptied:
            gone = {id(f) for f in emptied}
            work.record.fields[:] = [f for f in work.record.fields if id(f) not in gone]


@dataclass(frozen=True, slots=True)
class AddField(Action):
    """``addField "tag[.{i,i}].code.value"``: adds a new field with one subfield."""

    path: FieldPath

    def run(self, work: Work) -> None:
        if not self._allowed(work, None, None):
            return
        path = self.path
        work.insert(
            Field(
                tag=path.tag,
                indicators=Indicators(path.ind1 or " ", path.ind2 or " "),
                subfields=[Subfield(code=path.code or "a", value=path.value.text)],
            )
        )


@dataclass(frozen=True, slots=True)
class AddControlField(Action):
    """``addControlField "tag.value"``: adds a control field."""

    path: ControlPath

    def run(self, work: Work) -> None:
        if self._allowed(work, None, None):
            work.insert(Field(tag=self.path.tag, data=self.path.value.text))


@dataclass(frozen=True, slots=True)
class AddSubField(Action):
    """``addSubField "tag[.{i,i}].code.value"``: adds the subfield at the end of each such field."""

    path: FieldPath

    def run(self, work: Work) -> None:
        new = Subfield(code=self.path.code, value=self.path.value.text)
        for i in _targets(self, work, self.path):
            work.own(i).subfields.append(new)


@dataclass(frozen=True, slots=True)
class ChangeField(Action):
    """``changeField "tag[.{i,i}]" to "tag[.{i,i}]"``: retags the matching fields."""

    path: FieldPath
    target: FieldPath

    def run(self, work: Work) -> None:
        target = self.target
        for i in _targets(self, work, self.path):
            if self.path.code is not None and not self.path.selects(work.record.fields[i]):
                continue
            fld = work.own(i)
            fld.tag = target.tag
            if target.ind1 is not None or target.ind2 is not None:
                ind = fld.indicators
                fld._indicators = Indicators(target.ind1 or ind[0], target.ind2 or ind[1])


@dataclass(frozen=True, slots=True)
class ChangeIndicator(Action):
    """``changeFirstIndicator "tag" to "x"`` / ``changeSecondIndicator``."""

    path: FieldPath
    position: int
    value: str

    def run(self, work: Work) -> None:
        for i in _targets(self, work, self.path):
            if self.path.code is not None and not self.path.selects(work.record.fields[i]):
                continue
            fld = work.own(i)
            ind = list(fld.indicators)
            ind[self.position] = self.value
            fld._indicators = Indicators(*ind)


@dataclass(frozen=True, slots=True)
class ChangeSubField(Action):
    """``changeSubField "tag.code[.value]" to "code"``: renames the matching subfields."""

    path: FieldPath
    code: str

    def run(self, work: Work) -> None:
        path = self.path
        for i in _targets(self, work, path):
            if any(path.subfield_matches(c, v) for c, v in work.record.fields[i].subfields):
                fld = work.own(i)
                fld.subfields = [
                    Subfield(self.code, v) if path.subfield_matches(c, v) else Subfield(c, v)
                    for c, v in fld.subfields
                ]


@dataclass(frozen=True, slots=True)
class EditSubfields(Action):
    """``replaceContents "tag.code.old" with "new"``, ``prefix``/``suffix "tag.code" with "x"``."""

    path: FieldPath
    kind: str
    text: str

    def _edit(self, value: str) -> str:
        if self.kind == "prefix":
            return self.text + value
        if self.kind == "suffix":
            return value + self.text
        pattern = self.path.value
        if not pattern.wildcard:
            return value.replace(pattern.text, self.text)
        return self.text

    def _hits(self, code: str, value: str) -> bool:
        if code != self.path.code:
            return False
        pattern = self.path.value
        if pattern is None:
            return True
        if self.kind == "replace" and not pattern.wildcard:
            return pattern.text in value if pattern.text else False
        return pattern.matches(value)

    def run(self, work: Work) -> None:
        for i in _targets(self, work, self.path):
            if any(self._hits(c, v) for c, v in work.record.fields[i].subfields):
                fld = work.own(i)
                fld.subfields = [
                    Subfield(c, self._edit(v)) if self._hits(c, v) else Subfield(c, v)
                    for c, v in fld.subfields
                ]


@dataclass(frozen=True, slots=True)
class ReplaceControlContents(Action):
    """``replaceControlContents "008.{7,4}.2010" with "2011"`` (``LDR`` for the leader)."""

    path: ControlPath
    text: str

    def _edit(self, data: str) -> str:
        path = self.path
        if path.start is None:
            if not path.value.wildcard:
                return data.replace(path.value.text, self.text)
            return self.text
        end = path.start + (path.length or 0)
        return data[: path.start] + self.text + data[end:]

    def run(self, work: Work) -> None:
        path = self.path
        record = work.record
        if path.tag == "LDR":
            leader = str(record.leader)
            if path.data_matches(leader) and self._allowed(work, None, None):
                record.leader = Leader(self._edit(leader))
            return
        for i, f in enumerate(record.fields):
            if (
                f.control_field
                and path.tag_test(f.tag)
                and path.data_matches(f.data or "")
                and self._allowed(work, f, path.tag)
            ):
                fld = work.own(i)
                fld.data = self._edit(fld.data or "")


@dataclass(frozen=True, slots=True)
class CorrectDuplicateFields(Action):
    """``correctDuplicateFields ["tag,tag"]``: keeps the first of identical data fields."""

    paths: tuple[FieldPath, ...]

    def run(self, work: Work) -> None:
        if not self._allowed(work, None, None):
            return
        seen: set[tuple] = set()
        keep = []
        for f in work.record.fields:
            listed = not self.paths or any(p.tag_test(f.tag) for p in self.paths)
            if f.control_field or not listed:
                keep.append(f)
                continue
            key = (f.tag, tuple(f.indicators), tuple(f.subfields))
            if key not in seen:
                seen.add(key)
                keep.append(f)
        work.record.fields[:] = keep
