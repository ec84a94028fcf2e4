"""The firm's pages: connect each entity's Xero, watch the night, work the exceptions, keep the mappings.

Server-rendered (Jinja2), no script, one stylesheet; served by one HTTP function of the app
(cynare/entrypoints/pages_functions.py) behind App Service Authentication in Azure.
"""
