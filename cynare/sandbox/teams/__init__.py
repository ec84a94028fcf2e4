"""A local stand-in for a Power Automate Workflows webhook that posts an Adaptive Card to a Teams channel.

`cynare.sandbox.teams.stand_in.TeamsStandIn` answers the webhook URL a Workflows flow ("When a Teams
webhook request is received") gives, as strictly as Teams would take the card; see docs/report-delivery.md.
`adaptive-card-1.5.json` is the official Adaptive Card 1.5 schema, copied unchanged from
github.com/microsoft/AdaptiveCards (schemas/1.5.0/adaptive-card.json), MIT licence, Copyright (c) 2017 Microsoft.
"""
