"""The Azure Functions app: it only creates the app and registers each trigger family's blueprint."""

import logging

import azure.functions as func

from cynare.entrypoints import import_timer, xero_functions

# The Azure SDKs log every HTTP request at INFO: thousands of lines a night. Our own lines stay.
logging.getLogger("azure").setLevel(logging.WARNING)

app = func.FunctionApp()
app.register_functions(import_timer.bp)
app.register_functions(xero_functions.bp)
