"""The hybrid labeller: the rule labeller and the token classifier composed into the served one.

The rules read most reports completely and exactly; the network recovers what they lose (garbled or
split row labels, squashed rows). `HybridLabeller` takes the rules' labelling unless its tables lose
structure where the network's do not; else, row by row, the network's reading of the rows the rules
lost (`fuse_rows`), and the network's ORG / YEAR spans where the rules found none. Either part is any
`Labeller`; `models.registry` builds the served one from the shipped (or promoted) weights.
"""
from __future__ import annotations

from gongkai.extraction.document import Document
from gongkai.extraction.labelling import KEYED_TAGS, LabelledDocument, Labeller, Span, Tag
from gongkai.extraction.result import CellStatus

__all__ = ["HybridLabeller", "fuse_rows", "misfit", "narrative_bodies", "rules_settle"]

Position = tuple[int, int]  # (segment, character)
TABLE_TAGS = frozenset({Tag.T2_ARTICLE, Tag.T2_ROW, Tag.T2_COL, Tag.T3_HEADER, Tag.T3_GROUP, Tag.T3_ROW, Tag.T3_COL,
                        Tag.T4_HEADER, Tag.T4_GROUP, Tag.T4_COL, Tag.VALUE})


class HybridLabeller:
    """`rules` fused with `network` (see the module doc). Its name is the network's (`model`: the
    `--labeller model` choice) and its version the network's plus `+hybrid`."""

    def __init__(self, rules: Labeller, network: Labeller):
        self.rules = rules
        self.network = network
        self.name: str = network.name
        self.version: str = network.version + "+hybrid"

    def label(self, document: Document) -> LabelledDocument:
        """The rule labeller's labels, unless their tables lose structure (rows missing, values
        outside any row) where the network's do not; else row by row, the network's reading of the rows the rules lost
        (`fuse_rows`), and the network's ORG / YEAR spans where the rules found none.

        The network runs only where it can change that answer: when the rules read every template
        row, the organisation and the year with nothing out of place (`rules_settle`), none of the
        three steps can take anything from the network, so it is not run at all. Otherwise it is
        not run over the narrative sections the rules found (`narrative_bodies`), when the network
        can be told so (`label_outside`)."""
        rules = self.rules.label(document)
        if rules_settle(rules):
            return LabelledDocument(document=document, spans=list(rules.spans), labeller=self.name)
        label_outside = getattr(self.network, "label_outside", None)
        model = label_outside(document, narrative_bodies(rules)) if label_outside else self.network.label(document)
        r_struct, r_count = misfit(rules, split=True)
        m_struct, m_count = misfit(model, split=True)
        if m_struct < r_struct and m_count <= r_count:
            return _with_rule_meta(model, rules)
        rules = fuse_rows(rules, model)
        spans = list(rules.spans)
        for tag in (Tag.ORG, Tag.YEAR):
            if not any(s.tag is tag for s in spans):
                spans += [s for s in model.spans if s.tag is tag]
        spans.sort(key=lambda s: (s.segment, s.start))
        return LabelledDocument(document=document, spans=spans, labeller=self.name)


META_TAGS = (Tag.ORG, Tag.YEAR, Tag.TITLE)


def narrative_bodies(rules: LabelledDocument) -> list[tuple[Position, Position]]:
    """The stretches of a report where the network's reading cannot change the hybrid's answer: the
    body of section 一 (总体情况: after its heading, up to the heading of section 二) and everything
    after the heading of section 五 (存在的主要问题…, 其他需要报告的事项), as [from, to) positions.

    Only where the rules found the headings of sections 一 to 四 in order (五 after them) and none
    of their table spans lies inside a stretch — otherwise nothing is left out. The title, the
    organisation and the year come before section 一, and every heading and the three tables are
    outside these stretches, so the network still reads all the hybrid takes from it."""
    heads: dict[str, Span] = {}
    for s in rules.spans:
        if s.tag is Tag.SECTION and s.key not in heads:
            heads[s.key] = s
    order = [heads.get(k) for k in "1234"]
    if any(h is None for h in order):
        return []
    starts = [(h.segment, h.start) for h in order]
    if starts != sorted(starts) or len(set(starts)) < 4:
        return []
    stretches = [((order[0].segment, order[0].end), starts[1])]
    five = heads.get("5")
    if five is not None and (five.segment, five.start) > starts[3]:
        stretches.append(((five.segment, five.end), (len(rules.document.segments), 0)))
    tables = [(s.segment, s.start) for s in rules.spans if s.tag in TABLE_TAGS]
    return [(a, b) for a, b in stretches if a < b and not any(a <= p < b for p in tables)]


def _with_rule_meta(model: LabelledDocument, rules: LabelledDocument) -> LabelledDocument:
    """The network's tables with the rules' title, organisation and year: on the segments where the
    rules found those, their spans replace the network's (which finds no reliable ORG)."""
    meta_segments = {s.segment for s in rules.spans if s.tag in META_TAGS}
    if not meta_segments:
        return model
    spans = [s for s in model.spans if s.segment not in meta_segments]
    spans += [s for s in rules.spans if s.segment in meta_segments]
    spans.sort(key=lambda s: (s.segment, s.start))
    return LabelledDocument(document=model.document, spans=spans, labeller=model.labeller)


def fuse_rows(rules: LabelledDocument, model: LabelledDocument) -> LabelledDocument:
    """The rule labelling with the network's spans for each table row the rules lost (a garbled
    or split row label, a squashed row taken for noise) and the network found. A row the rules
    did find keeps their reading even when its cell count is off: squashed rows, collapsed runs
    and dropped cells are the reconciler's to settle, by the 勾稽关系. A row's spans replace
    whatever the rules put over the same characters; a swap is kept only if the labelling then fits
    the template better (`misfit`), or has more rows with exactly their cells and no worse a
    structure, so a network row never costs a rule row."""
    from gongkai.extraction.assemble import assemble

    def read(labelled: LabelledDocument):
        asm = assemble(labelled)
        exact = sum(1 for r in asm.rows if len(r.tokens) == len(r.fields))
        return asm, (exact, *_template_fit(asm))

    try:
        r_asm, (best_exact, best_struct, best_count) = read(rules)
        m_asm = assemble(model)
    except Exception:  # noqa: BLE001 - nothing to fuse with a labelling the assembler cannot read
        return rules
    r_rows = {(r.table, r.key) for r in r_asm.rows}
    best = rules
    for row in m_asm.rows:
        if row.span_range is None:
            continue
        if (row.table, row.key) in r_rows or any(("t3", sub) in r_rows for sub in row.merged_rows):
            continue
        a, b = row.span_range
        block = model.spans[a:b + 1]
        lo, hi = (block[0].segment, block[0].start), (block[-1].segment, block[-1].end)
        kept = [s for s in best.spans if (s.segment, s.end) <= lo or (s.segment, s.start) >= hi]
        fused = LabelledDocument(document=rules.document, labeller=rules.labeller,
                                 spans=sorted(kept + block, key=lambda s: (s.segment, s.start)))
        try:
            _, (exact, struct, count) = read(fused)
        except Exception:  # noqa: BLE001 - a swap the assembler cannot read is no improvement
            continue
        if (struct, count) < (best_struct, best_count) or (exact > best_exact and struct <= best_struct):
            best, best_exact, best_struct, best_count = fused, exact, struct, count
    return best


def _row_universe() -> frozenset[tuple[str, str]]:
    """Every (table, row key) an assembled row can have, merged table-3 groups aside."""
    return frozenset([("t2", k) for k in KEYED_TAGS[Tag.T2_ROW]] + [("t3", k) for k in KEYED_TAGS[Tag.T3_ROW]]
                     + [("t4", "t4")])


def rules_settle(rules: LabelledDocument) -> bool:
    """Whether the hybrid's answer is the rule labelling whatever the network says: the rules
    found every template row (so `fuse_rows` has no lost row to take — a merged group is
    skipped once any of its sub-rows is there), their structure misfit is 0 (so the network's
    labelling cannot fit better), and they found ORG and YEAR spans (nothing to borrow)."""
    from gongkai.extraction.assemble import assemble

    if not any(s.tag is Tag.ORG for s in rules.spans) or not any(s.tag is Tag.YEAR for s in rules.spans):
        return False
    try:
        asm = assemble(rules)
    except Exception:  # noqa: BLE001 - a labelling the assembler cannot read settles nothing
        return False
    rows = {(r.table, r.key) for r in asm.rows}
    return _row_universe() <= rows and _template_fit(asm)[0] == 0


def misfit(labelled: LabelledDocument, split: bool = False):
    """How badly a labelling's tables fit the template (0 = a perfect fit): structure (rows
    missing, values outside any row, metadata missing) and cell counts (too many or too few
    values in a row). `split` returns the two apart."""
    from gongkai.extraction.assemble import assemble

    try:
        struct, count = _template_fit(assemble(labelled))
    except Exception:  # noqa: BLE001 - a labelling the assembler cannot read fits nothing
        return (10_000, 10_000) if split else 20_000
    return (struct, count) if split else struct + count


def _template_fit(asm) -> tuple[int, int]:
    """`misfit` of an assembled labelling: (structure, cell counts)."""
    from gongkai.extraction import template as T

    expected = {("t2", k) for k in T.T2_ROW_FIELDS} | {("t3", r.key) for r in T.T3_ROW_TEMPLATES} | {("t4", "t4")}
    seen = set()
    count = 0
    for row in asm.rows:
        count += abs(len(row.tokens) - len(row.fields))
        seen.add((row.table, row.key))
        if row.merged_rows:
            seen.update(("t3", k) for k in row.merged_rows)
    # the numbers of a row's second printing belong to no row the template has room for
    set_aside = sum(1 for r in asm.set_aside for t in r.tokens if t.status is CellStatus.number)
    struct = (3 * len(expected - seen) + len(asm.warnings) + set_aside  # a group row stands for its sub-rows only
              + (asm.org is None) + (asm.year is None))
    return struct, count
