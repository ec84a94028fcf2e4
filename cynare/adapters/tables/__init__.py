"""The CynareLink warehouse on Azure Table Storage."""
