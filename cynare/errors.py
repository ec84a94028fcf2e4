"""What the cloud side raises, drawn as a tree so callers know what to catch.

CynareError                      anything Cynare Link reports to a person
├── SettingsError                (bootstrap) an app setting is missing or malformed: the message names it
├── BatchRejected                (extract.manifest) a whole batch is refused: broken manifest, hash, header
├── IllegalTransition            (domain.lifecycle) a document cannot move from its state to the one asked
├── CurrencyError                (domain.money) an amount and a currency that do not fit together
├── DocumentTooLarge             (adapters.tables.codec) a document bigger than one table row can hold
└── ConcurrentChange             a record kept changing under concurrent writers: run again

Row-level problems are not exceptions: they are Rejections, kept with the batch. No message
carries a secret (a storage key, a token): settings are described by name, never by value.
"""

from __future__ import annotations


class CynareError(Exception):
    """A failure Cynare Link reports in plain words."""


class SettingsError(CynareError):
    """An app setting is missing or malformed."""


class ConcurrentChange(CynareError):
    """A record changed under us through every retry."""
