"""The command line: parse, call the library, print. No numbers are computed here."""
