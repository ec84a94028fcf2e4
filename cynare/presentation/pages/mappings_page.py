"""The mappings pages: per entity, each PMS code with what the PMS maps it to, what is set here, and Xero's
choices; codes that hold documents first. An administrator sets or removes a mapping, refreshes Xero's
lists, imports and exports CSV; every change is in the audit log and says how many documents it released."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote

from cynare.presentation.pages.context import PageContext, Route
from cynare.presentation.pages.web import PageResponse, redirect
from cynare.service_layer.mappings import (
    ChangeOutcome,
    CodeMapping,
    CsvRefused,
    EntityMappings,
    MappingKind,
    MappingRefused,
    describe,
    export_csv,
    import_csv,
    list_mappings,
    parse_kind,
    remove_mapping,
    set_mapping,
)
from cynare.service_layer.mappings_csv import CsvProblem
from cynare.service_layer.xero_lists import XeroListsUnreadable, XeroOption, refresh_xero_options

# The page's four sections: id, heading, caption, kinds.
SECTIONS = (
    ("nominal", "Nominal codes", "PMS nominal codes and the Xero account each posts to", (MappingKind.NOMINAL,)),
    ("vat", "VAT codes", "PMS VAT codes and the Xero tax rate each posts with", (MappingKind.VAT,)),
    ("tracking", "Offices, departments and fee earners",
     "PMS offices, departments and fee earners and the Xero tracking option each posts with",
     (MappingKind.OFFICE, MappingKind.DEPARTMENT, MappingKind.FEE_EARNER)),
    ("bank", "Bank accounts", "PMS bank accounts and the Xero bank account each receipt is paid into",
     (MappingKind.BANK,)),
)  # fmt: skip
_FILE_NAME = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class Row:
    """One code as the template shows it."""

    mapping: CodeMapping
    field_id: str  # the select's id, unique on the page
    heading: str  # "Nominal code 4999"
    state: str  # "not mapped: 3 documents held", or ""
    pms: str  # what the PMS says, in words
    here: str  # what is set here, in words
    groups: list[tuple[str, list[XeroOption]]]  # the select's options, by group ("" = no optgroup)
    listed: bool  # what it maps to is among Xero's options (else the select says so, and nothing is chosen)
    error: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: str
    caption: str
    rows: list[Row]


@dataclass(frozen=True, slots=True)
class Refusal:
    """What went wrong with a form, for the page: tied to a row's field, to the CSV upload, or to none."""

    message: str = ""
    kind: MappingKind | None = None
    code: str = ""
    csv: list[CsvProblem] = field(default_factory=list)


def index(context: PageContext) -> PageResponse:
    entities = []
    for entity in context.app.uow.entities():
        unmapped = [m for m in list_mappings(context.app.uow, entity).codes if not m.mapped]
        entities.append((entity, _path(entity), len(unmapped), sum(m.held for m in unmapped)))
    return context.page("mappings_index.html.j2", "Mappings", listed=entities)


def entity_page(context: PageContext) -> PageResponse:
    entity = _entity(context)
    if entity is None:
        return _no_entity(context)
    focus: tuple[MappingKind, str] | None = None
    kind, code = context.request.query.get("kind", ""), context.request.query.get("code", "").strip()
    if kind and code:
        try:
            focus = (parse_kind(kind), code)
        except MappingRefused:
            focus = None  # a link with an unknown kind shows the whole page
    return _render(context, entity, focus=focus)


def set_value(context: PageContext) -> PageResponse:
    entity = _entity(context)
    if entity is None:
        return _no_entity(context)
    form = context.request.form
    kind, code, value = form.get("kind", ""), form.get("code", "").strip(), form.get("value", "").strip()
    try:
        outcome = set_mapping(context.app.uow, context.app.queue, entity, kind, code, value, context.user.name,
                              context.app.clock)  # fmt: skip
    except MappingRefused as refused:
        return _refused(context, entity, kind, code, refused)
    if not outcome.changes:
        return redirect(_path(entity), notice=f"Nothing changed: {_kind_words(kind)} {code} already maps to {value}.")
    _record(context, entity, "map {kind}", outcome)
    change = outcome.changes[0]
    mapped = list_mappings(context.app.uow, entity).label(change.kind, change.after)
    notice = f"{_first_up(change.kind.words)} {change.code} now maps to {mapped}: {_released(outcome)}."
    return redirect(_path(entity), notice=notice)


def remove_value(context: PageContext) -> PageResponse:
    entity = _entity(context)
    if entity is None:
        return _no_entity(context)
    kind, code = context.request.form.get("kind", ""), context.request.form.get("code", "").strip()
    try:
        outcome = remove_mapping(context.app.uow, context.app.queue, entity, kind, code, context.user.name,
                                 context.app.clock)  # fmt: skip
    except MappingRefused as refused:
        return _refused(context, entity, kind, code, refused)
    _record(context, entity, "remove {kind} mapping", outcome)
    change = outcome.changes[0]
    now = f"it maps to {change.after}, as the PMS says" if change.after else "it is not mapped now"
    verb = "waits" if outcome.held == 1 else "wait"
    held = f"; {_documents(outcome.held)} ready to post {verb} on it again" if outcome.held else ""
    notice = f"What was set here for {change.kind.words} {change.code} is removed: {now}{held}."
    return redirect(_path(entity), notice=notice)


def refresh(context: PageContext) -> PageResponse:
    entity = _entity(context)
    if entity is None:
        return _no_entity(context)
    try:
        options = refresh_xero_options(context.app.uow, context.app.connector, entity, context.user.name,
                                       context.app.clock)  # fmt: skip
    except XeroListsUnreadable as failure:
        return _render(context, entity, status=502, refusal=Refusal(f"{failure}."))
    counts = (f"{len(options.accounts)} accounts, {len(options.tax_rates)} tax rates, "
              f"{len(options.tracking)} tracking options, {len(options.bank)} bank accounts")  # fmt: skip
    context.record("refresh Xero lists", entity, counts)
    return redirect(_path(entity), notice=f"Read from Xero: {counts}.")


def import_file(context: PageContext) -> PageResponse:
    entity = _entity(context)
    if entity is None:
        return _no_entity(context)
    data = context.request.files.get("file")
    if not data:
        problem = CsvProblem(0, "file", "no file was chosen: choose a CSV file with the columns kind, code, value")
        return _render(context, entity, status=400, refusal=Refusal(csv=[problem]))
    try:
        outcome = import_csv(context.app.uow, context.app.queue, entity, data, context.user.name, context.app.clock)
    except CsvRefused as refused:
        return _render(context, entity, status=400, refusal=Refusal(csv=refused.problems))
    if not outcome.changes:
        return redirect(_path(entity), notice="The file changed nothing: every mapping in it was already in place.")
    _record(context, entity, "map {kind} from CSV", outcome)
    count = len(outcome.changes)
    notice = f"{count} mapping{'' if count == 1 else 's'} imported: {_released(outcome)}."
    return redirect(_path(entity), notice=notice)


def export(context: PageContext) -> PageResponse:
    entity = _entity(context)
    if entity is None:
        return _no_entity(context)
    text = export_csv(context.app.uow, entity)
    name = f"mappings-{_FILE_NAME.sub('-', entity)}-{context.now:%Y-%m-%d}.csv"
    # A byte order mark, so a spreadsheet opens it as UTF-8; the import reads it either way.
    return PageResponse(200, text.encode("utf-8-sig"), "text/csv; charset=utf-8",
                        [("Content-Disposition", f'attachment; filename="{name}"')])  # fmt: skip


# -- the page ------------------------------------------------------------------------------------------------


def _render(
    context: PageContext,
    entity: str,
    *,
    status: int = 200,
    focus: tuple[MappingKind, str] | None = None,
    refusal: Refusal | None = None,
) -> PageResponse:
    refusal = refusal or Refusal()
    mappings = list_mappings(context.app.uow, entity)
    if refusal.kind is not None and refusal.code:
        focus = (refusal.kind, refusal.code)
    focused = None
    if focus is not None:
        found = mappings.find(*focus) or CodeMapping(focus[0], focus[1], None)
        focused = _row(mappings, found, "value-focus", refusal.message if refusal.kind else "")
    sections = []
    for section_id, title, caption, kinds in SECTIONS:
        listed = [m for m in mappings.of(*kinds) if focus is None or (m.kind, m.code) != focus]
        rows = [_row(mappings, m, f"value-{section_id}-{n}") for n, m in enumerate(listed, start=1)]
        sections.append(Section(section_id, title, caption, rows))
    options = mappings.options
    return context.page(
        "mappings.html.j2", f"Mappings of {entity}", status, entity=entity, path=_path(entity), sections=sections,
        focused=focused, options=options, refusal=refusal, general_error=refusal.message if not refusal.kind else "",
        read_at=f"{options.read_at:%d %b %Y %H:%M} UTC" if options.read_at else "",
    )  # fmt: skip


def _row(mappings: EntityMappings, mapping: CodeMapping, field_id: str, error: str = "") -> Row:
    kind = mapping.kind
    state = ""
    if not mapping.mapped:
        state = f"not mapped: {_documents(mapping.held)} held" if mapping.held else "not mapped"
    if mapping.pms is None:
        pms = "no mapping row"
    else:
        pms = mappings.label(kind, mapping.pms) if mapping.pms else "no Xero value (empty in the PMS)"
    here = "nothing"
    if mapping.set_here and mapping.here is not None:
        when = f" on {mapping.here.at:%d %b %Y %H:%M} UTC" if mapping.here.at else ""
        here = f"{mappings.label(kind, mapping.here.value)}, by {mapping.here.by}{when}"
    groups: dict[str, list[XeroOption]] = {}
    for option in mappings.choices(kind):
        groups.setdefault(option.group, []).append(option)
    listed = mappings.options.find(kind.xero_list, mapping.value) is not None
    heading = f"{_first_up(kind.words)} {mapping.code}"
    return Row(mapping, field_id, heading, state, pms, here, list(groups.items()), listed, error)


def _refused(context: PageContext, entity: str, kind: str, code: str, refused: MappingRefused) -> PageResponse:
    """The page again with the error by its field (the select of the code), or at the top when the form's
    kind or code itself is wrong (the page's own forms never send such)."""
    if refused.field == "value":
        return _render(context, entity, status=400, refusal=Refusal(refused.message, parse_kind(kind), code))
    return _render(context, entity, status=400, refusal=Refusal(f"The mapping was not changed: {refused.message}."))


def _record(context: PageContext, entity: str, action: str, outcome: ChangeOutcome) -> None:
    """One audit entry per code changed: who, the kind and code, before -> after."""
    for change, detail in zip(outcome.changes, describe(outcome.changes), strict=True):
        context.record(action.format(kind=change.kind.value), entity, detail)


def _entity(context: PageContext) -> str | None:
    entity = context.params.get("entity", "")
    return entity if entity in context.app.uow.entities() else None


def _no_entity(context: PageContext) -> PageResponse:
    message = "The firm has no entity of that name (CYNARE_ENTITIES): choose one on the mappings page."
    return context.page("problem.html.j2", "No such entity", 404, message=message)


def _path(entity: str) -> str:
    return f"/mappings/{quote(entity, safe='')}"


def _kind_words(kind: str) -> str:
    try:
        return parse_kind(kind).words
    except MappingRefused:
        return "the code"


def _first_up(words: str) -> str:
    """A capital first letter only: "nominal code" becomes "Nominal code", "VAT code" stays as it is."""
    return words[:1].upper() + words[1:]


def _documents(count: int) -> str:
    return f"{count} document" if count == 1 else f"{count} documents"


def _released(outcome: ChangeOutcome) -> str:
    if not outcome.released:
        return "no held document was released"
    verb = "was" if outcome.released == 1 else "were"
    return f"{_documents(outcome.released)} held {verb} released for posting"


ROUTES = [
    Route("GET", "/mappings", index),
    Route("GET", "/mappings/{entity}", entity_page),
    Route("GET", "/mappings/{entity}/export.csv", export),
    Route("POST", "/mappings/{entity}/set", set_value, changes=True),
    Route("POST", "/mappings/{entity}/remove", remove_value, changes=True),
    Route("POST", "/mappings/{entity}/refresh", refresh, changes=True),
    Route("POST", "/mappings/{entity}/import", import_file, changes=True),
]
