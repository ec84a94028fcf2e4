"""Entrypoints translate a transport (timer, queue, command line) into a use-case call, nothing more."""
