"""A local stand-in for Microsoft Graph's mail sending and Entra's client-credentials token endpoint.

`cynare.sandbox.graph.stand_in.GraphStandIn` serves them on loopback so that msgraph-sdk talks to it
unchanged; every message it accepts is written as an .eml file a person can open. See
docs/report-delivery.md.
"""
