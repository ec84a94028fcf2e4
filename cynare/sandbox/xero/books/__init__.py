"""Books files shipped with the emulator: `sample.json`, the three sample organisations (books_file.py)."""
