"""Records written as text for the rule tests: one field a line, ``245 10 $a Title $b Sub``.

Control fields are ``001 data``; data fields give two indicator characters (``_`` is a blank) and
subfields as ``$code value``.
"""

from __future__ import annotations

from pymarc import Field, Indicators, Leader, Record, Subfield

LEADER = "00000nam a2200000 a 4500"


def record(text: str) -> Record:
    """Returns the record written in ``text`` (see the module docstring)."""
    rec = Record()
    rec.leader = Leader(LEADER)
    for line in text.strip().splitlines():
        line = line.strip()
        if not line:
            continue
        tag, _, rest = line.partition(" ")
        if tag == "LDR":
            rec.leader = Leader(rest)
        elif tag.isdigit() and tag < "010":
            rec.add_field(Field(tag=tag, data=rest))
        else:
            ind, _, subs = rest.partition(" ")
            parts = subs.split("$")[1:]
            rec.add_field(
                Field(
                    tag=tag,
                    indicators=Indicators(*(c.replace("_", " ") for c in ind)),
                    subfields=[Subfield(p[0], p[1:].strip()) for p in parts],
                )
            )
    return rec


def lines(rec: Record) -> list[str]:
    """Returns ``rec`` as text, one field a line (the leader only when it is not the default)."""
    out = [] if str(rec.leader) == LEADER else [f"LDR {rec.leader}"]
    for field in rec.fields:
        if field.control_field:
            out.append(f"{field.tag} {field.data}")
        else:
            ind = "".join((c or " ").replace(" ", "_") for c in field.indicators)
            subs = " ".join(f"${c} {v}" for c, v in field.subfields)
            out.append(f"{field.tag} {ind} {subs}")
    return out


def text_lines(text: str) -> list[str]:
    """Returns ``text`` as it would be written back by :func:`lines`."""
    return lines(record(text))
