"""The Azure Functions app: it only creates the app and registers each trigger family's blueprint."""

import azure.functions as func

from cynare.entrypoints import import_timer

app = func.FunctionApp()
app.register_functions(import_timer.bp)
