"""The Azure Functions app: it only creates the app and registers each trigger family's blueprint."""

import azure.functions as func

from cynare.entrypoints import import_timer, pages_functions, report_functions, xero_functions
from cynare.entrypoints.telemetry import configure_logging

configure_logging()

app = func.FunctionApp()
app.register_functions(import_timer.bp)
app.register_functions(xero_functions.bp)
app.register_functions(report_functions.bp)
app.register_functions(pages_functions.bp)
