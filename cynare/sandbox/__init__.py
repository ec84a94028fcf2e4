"""Local stand-ins for the outside systems that cannot be reached from a developer's machine."""
