"""Use cases of the connect pages: Xero's authorization code flow (state and PKCE), binding the organisations
one consent reaches to the firm's entities, and disconnecting an entity.

A person's browser only ever carries signed random ids: the OAuth `state` (naming the attempt and a digest
of the person who started it) and, once Xero has answered, the attempt's id for the choice. The PKCE
verifier and Xero's tokens stay in the attempt store, sealed; an attempt lasts ten minutes and is used
once, so a replayed, altered, late or borrowed state saves nothing.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from cynare.errors import CynareError
from cynare.service_layer.connect import ConnectRefused, OrganisationSeen, bind_entity, refusal
from cynare.service_layer.connection_health import expiry_warning
from cynare.service_layer.unit_of_work import UnitOfWork
from cynare.service_layer.xero_port import Binding, ConnectionKind, ConnectionRepository, Credentials

ATTEMPT_LIFETIME = timedelta(minutes=10)  # from the consent link to Xero's answer
# From Xero's answer to the person's choice: a page a person fills in has more than 20 hours (WCAG 2.2.1).
CHOICE_LIFETIME = timedelta(hours=21)
_OAUTH_ERROR = re.compile(r"^[a-z_]{1,40}$")


@dataclass(frozen=True, slots=True)
class XeroApp:
    """The firm's Xero web app: its client id and secret, and where Xero sends the person back."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str


class Stage(StrEnum):
    STARTED = "started"  # the person was sent to Xero's consent page; holds the PKCE verifier
    CONSENTED = "consented"  # Xero answered; holds the grant and the organisations it reaches


@dataclass(frozen=True, slots=True)
class Attempt:
    nonce: str
    person: str
    stage: Stage
    expires_at: datetime
    entity: str = ""  # a reconnect: the entity it was started for
    verifier: str = field(default="", repr=False)
    grant: Credentials = field(default_factory=Credentials)  # without the client secret: the settings keep it
    organisations: tuple[OrganisationSeen, ...] = ()


class AttemptStore(Protocol):
    """Connect attempts kept server-side (their secrets sealed), each used once."""

    def put(self, attempt: Attempt) -> None: ...

    def get(self, nonce: str) -> Attempt | None: ...

    def take(self, nonce: str) -> Attempt | None:
        """Remove and answer it; None when it is not there (never made, used already, or taken meanwhile)."""
        ...

    def purge(self, before: datetime) -> None:
        """Forget the attempts that expired before `before`."""
        ...


class Signer(Protocol):
    def sign(self, value: str) -> str: ...

    def unsign(self, signed: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Consent:
    grant: Credentials
    organisations: tuple[OrganisationSeen, ...]


class XeroAppDoor(Protocol):
    """Xero's identity service and each organisation's settings, as an app connection sees them."""

    def pkce_pair(self) -> tuple[str, str]:
        """A PKCE code verifier and its S256 challenge."""
        ...

    def authorize_url(self, app: XeroApp, state: str, code_challenge: str) -> str: ...

    def consent(self, app: XeroApp, code: str, verifier: str) -> Consent:
        """Exchange the code, check the scopes granted, and read each organisation reached (name, base currency)."""
        ...

    def fork(self, app: XeroApp, grant: Credentials) -> Credentials:
        """A refresh of the grant: a refresh token of its own, so entities sharing a consent never spend each
        other's (refresh tokens are single use)."""
        ...

    def disconnect(self, binding: Binding, connection: ConnectionRepository) -> bool:
        """Tell Xero the app no longer reaches the bound organisation; False when Xero had nothing to forget."""
        ...


class Refusal(StrEnum):
    MISSING = "no state"
    TAMPERED = "tampered state"
    SOMEONE_ELSE = "another person's state"
    USED = "used state"
    EXPIRED = "expired"
    DENIED = "denied in Xero"
    XERO = "refused by Xero"
    NOT_ALLOWED = "not allowed"


_SAY = {
    Refusal.MISSING: "Xero's answer came back without the state these pages sent, so it cannot be checked.",
    Refusal.TAMPERED: "The state in this answer is not one these pages made: it was altered, or the link came "
    "from somewhere else.",
    Refusal.SOMEONE_ELSE: "This answer belongs to a connection someone else started; only they can finish it.",
    Refusal.USED: "This connection attempt was finished already (each is used once), or it was never made here.",
    Refusal.EXPIRED: "This connection attempt has expired (10 minutes to answer on Xero's page, 21 hours to choose "
    "the entities).",
    Refusal.DENIED: "You cancelled on Xero's page.",
}  # fmt: skip


class ConnectProblem(CynareError):
    """A connect or disconnect that cannot go on. The message says why and what to do next."""

    def __init__(self, why: Refusal, message: str) -> None:
        super().__init__(message)
        self.why = why


def _refused(why: Refusal, message: str = "") -> ConnectProblem:
    """An attempt refused before anything was saved; `message` says what to do when the default does not."""
    if message:
        return ConnectProblem(why, f"{message} Nothing was connected.")
    return ConnectProblem(why, f"{_SAY[why]} Nothing was connected: start again from the connect page.")


class ChoicesRefused(CynareError):
    """Some choices of the bind form cannot be saved: `errors` by organisation (its index). Nothing was saved."""

    def __init__(self, errors: Mapping[int, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)


# --- the flow ----------------------------------------------------------------------------------------------


def start(
    store: AttemptStore, door: XeroAppDoor, app: XeroApp, states: Signer, person: str, now: datetime, entity: str = ""
) -> str:
    """Where to send the person: Xero's consent page, with a signed state and a PKCE challenge."""
    store.purge(now)
    nonce = secrets.token_urlsafe(18)
    verifier, challenge = door.pkce_pair()
    store.put(Attempt(nonce, person, Stage.STARTED, now + ATTEMPT_LIFETIME, entity, verifier))
    return door.authorize_url(app, states.sign(f"{nonce}|{_digest(person)}"), challenge)


def finish(
    store: AttemptStore,
    door: XeroAppDoor,
    app: XeroApp,
    states: Signer,
    person: str,
    now: datetime,
    answer: Mapping[str, str],
) -> Attempt:
    """Xero's answer (`code`, `state` or `error`) checked against the attempt it names, the code exchanged:
    the consented attempt, for the person to choose each organisation's entity."""
    nonce = _nonce(states, answer.get("state", ""), person)
    attempt = store.take(nonce)  # from here on the state is spent, whatever follows
    if attempt is None or attempt.stage is not Stage.STARTED or attempt.person != person:
        raise _refused(Refusal.USED)
    if attempt.expires_at <= now:
        raise _refused(Refusal.EXPIRED)
    error = answer.get("error", "")
    if error == "access_denied":
        raise _refused(Refusal.DENIED)
    if error or not answer.get("code"):
        said = error if _OAUTH_ERROR.match(error) else "no code"
        raise _refused(
            Refusal.XERO,
            f"Xero did not give access ({said}): docs/xero-connections.md says what it "
            "means; start again from the connect page.",
        )
    try:
        consent = door.consent(app, answer["code"], attempt.verifier)
    except CynareError as refused:  # Xero's refusal, worded with what to do; never a secret
        raise _refused(Refusal.XERO, f"{refused}.") from None
    if not consent.organisations:
        raise _refused(
            Refusal.XERO,
            "Xero's consent reached no organisation: start again from the connect page "
            "and choose at least one on Xero's page.",
        )
    consented = Attempt(secrets.token_urlsafe(18), person, Stage.CONSENTED, now + CHOICE_LIFETIME, attempt.entity,
                        grant=consent.grant, organisations=consent.organisations)  # fmt: skip
    store.put(consented)
    return consented


def attempt_id(attempts: Signer, attempt: Attempt) -> str:
    """The signed id the choice page and its form carry."""
    return attempts.sign(f"{attempt.nonce}|{_digest(attempt.person)}")


def consented(store: AttemptStore, attempts: Signer, person: str, now: datetime, signed_id: str) -> Attempt:
    """The person's consented attempt named by `signed_id`, still waiting for their choice."""
    attempt = store.get(_nonce(attempts, signed_id, person))
    if attempt is None or attempt.stage is not Stage.CONSENTED or attempt.person != person:
        raise _refused(Refusal.USED)
    if attempt.expires_at <= now:
        raise _refused(Refusal.EXPIRED)
    return attempt


def proposed_choices(uow: UnitOfWork, attempt: Attempt) -> dict[int, str]:
    """What the choice page proposes: an organisation an entity is bound to already keeps that entity; for a
    reconnect of an entity bound to none, the one organisation in its base currency, if only one is."""
    bound_to: dict[str, str] = {}
    for entity in uow.entities():
        with uow.for_entity(entity) as work:
            binding = work.connection.binding()
        if binding is not None:
            bound_to[binding.tenant_id.lower()] = entity
    chosen = {index: bound_to.get(o.tenant_id.lower(), "") for index, o in enumerate(attempt.organisations)}
    wanted = attempt.entity
    if wanted in uow.entities() and wanted not in bound_to.values():
        with uow.for_entity(wanted) as work:
            currency = work.settings.base_currency if work.settings else ""
        fits = [index for index, o in enumerate(attempt.organisations) if o.base_currency == currency]
        if len(fits) == 1 and not chosen[fits[0]]:
            chosen[fits[0]] = wanted
    return chosen


def check_choices(uow: UnitOfWork, attempt: Attempt, choices: Mapping[int, str]) -> dict[int, str]:
    """What is wrong with each organisation's chosen entity ("" = do not bind), by organisation."""
    entities = set(uow.entities())
    errors: dict[int, str] = {}
    first: dict[str, int] = {}
    for index, organisation in enumerate(attempt.organisations):
        entity = choices.get(index, "")
        if not entity:
            continue
        if entity not in entities:
            errors[index] = f"{entity!r} is not one of the firm's entities: choose one from the list"
            continue
        if entity in first:
            other = attempt.organisations[first[entity]].name
            errors[index] = (f"{entity} is chosen for {other!r} as well: an entity posts to exactly one organisation; "
                             "choose another entity or do not bind this one")  # fmt: skip
            continue
        first[entity] = index
        with uow.for_entity(entity) as work:
            problem = refusal(work, organisation)
        if problem:
            errors[index] = problem
    if not first and not errors and attempt.organisations:
        errors[0] = "Choose an entity for at least one organisation: nothing is connected until you do"
    return errors


def bind(
    store: AttemptStore,
    door: XeroAppDoor,
    uow: UnitOfWork,
    app: XeroApp,
    attempt: Attempt,
    choices: Mapping[int, str],
    clock: Callable[[], datetime],
) -> list[Binding]:
    """Bind each chosen organisation to its entity, or none of them when any choice is refused."""
    errors = check_choices(uow, attempt, choices)
    if errors:
        raise ChoicesRefused(errors)
    if store.take(attempt.nonce) is None:  # the same form sent twice at once: one of them binds
        raise _refused(Refusal.USED)
    chosen = [(organisation, choices[index]) for index, organisation in enumerate(attempt.organisations)
              if choices.get(index)]  # fmt: skip
    try:
        grants = [attempt.grant] if len(chosen) == 1 else [door.fork(app, attempt.grant) for _ in chosen]
    except CynareError as refused:
        raise _refused(Refusal.XERO, f"{refused}.") from None
    bound: list[Binding] = []
    for (organisation, entity), grant in zip(chosen, grants, strict=True):
        credentials = replace(grant, client_secret=app.client_secret, etag="")
        try:
            with uow.for_entity(entity) as work:
                bound.append(bind_entity(work, organisation, ConnectionKind.APP, app.client_id, credentials, clock,
                                         attempt.person))  # fmt: skip
        except ConnectRefused as refused:  # changed by someone else since the check, a moment ago
            done = ", ".join(f"{b.entity} to {b.organisation_name!r}" for b in bound) or "nothing"
            raise ConnectProblem(
                Refusal.XERO,
                f"{refused}; {done} was bound before this: check each entity on the "
                "connect page and connect the rest again",
            ) from None
    return bound


# --- each entity's connection ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntityConnection:
    entity: str
    base_currency: str
    binding: Binding | None
    has_credentials: bool
    warning: str  # the connection lapses soon, or its secrets do not open: what to do


def overview(uow: UnitOfWork, now: datetime) -> list[EntityConnection]:
    rows = []
    for entity in uow.entities():
        with uow.for_entity(entity) as work:
            binding = work.connection.binding()
            try:
                credentials = work.connection.credentials()
                warning = expiry_warning(binding, credentials, now)
            except CynareError:  # sealed under another token key, or copied: unusable
                credentials = None
                warning = f"{entity}'s stored Xero secrets cannot be read (CYNARE_TOKEN_KEY changed?): reconnect it"
            if binding is not None and credentials is None and not warning:
                warning = f"{entity} is bound but holds no Xero credentials: reconnect it"
            currency = work.settings.base_currency if work.settings else ""
        rows.append(EntityConnection(entity, currency, binding, credentials is not None, warning))
    return rows


@dataclass(frozen=True, slots=True)
class Disconnected:
    binding: Binding
    told_xero: bool  # Xero was told to stop the app reaching the organisation
    xero_problem: str  # why Xero could not be told ("" when it was, or there was nothing to tell)


def disconnect(uow: UnitOfWork, door: XeroAppDoor, entity: str) -> Disconnected:
    """Forget the entity's binding and secrets; for an app connection, tell Xero first (a failure there is
    reported, and the entity is disconnected here all the same)."""
    if entity not in uow.entities():
        raise ConnectProblem(Refusal.NOT_ALLOWED, f"{entity!r} is not one of the firm's entities.")
    with uow.for_entity(entity) as work:
        binding = work.connection.binding()
        if binding is None:
            raise ConnectProblem(Refusal.NOT_ALLOWED, f"{entity} is not connected to Xero, so there is nothing to "
                                 "disconnect.")  # fmt: skip
        told, problem = False, ""
        if binding.kind is ConnectionKind.APP:
            try:
                told = door.disconnect(binding, work.connection)
            except CynareError as failed:
                problem = str(failed)
        work.connection.unbind()
    return Disconnected(binding, told, problem)


# --- shared ---------------------------------------------------------------------------------------------


def _digest(person: str) -> str:
    """Who started an attempt, as its signed ids carry it: not the name itself, which would go to Xero."""
    return hashlib.sha256(person.encode("utf-8")).hexdigest()[:24]


def _nonce(signer: Signer, signed: str, person: str) -> str:
    if not signed:
        raise _refused(Refusal.MISSING)
    value = signer.unsign(signed)
    if value is None:
        raise _refused(Refusal.TAMPERED)
    nonce, _, who = value.partition("|")
    if not secrets.compare_digest(who, _digest(person)):
        raise _refused(Refusal.SOMEONE_ELSE)
    return nonce
