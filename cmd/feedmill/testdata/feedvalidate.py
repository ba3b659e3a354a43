"""Runs the W3C Feed Validator over feed URLs and prints one JSON object:
for each URL, its errors and warnings as "line L, column C: message".

usage: python3 feedvalidate.py VALIDATOR_DIR URL...
"""
import json
import urllib.request  # the validator uses it without importing it
import sys

sys.path.insert(0, sys.argv[1])
import feedvalidator  # noqa: E402
from feedvalidator import compatibility  # noqa: E402
from feedvalidator.formatter.text_plain import Formatter  # noqa: E402

out = {}
for url in sys.argv[2:]:
    try:
        events = feedvalidator.validateURL(url, firstOccurrenceOnly=0)["loggedEvents"]
    except feedvalidator.logging.ValidationFailure as vf:
        events = [vf.event]
    errors = compatibility.A(events)
    warnings = [e for e in compatibility.AA(events) if e not in errors]
    out[url] = {
        "errors": [str(x) for x in Formatter(errors)],
        "warnings": [str(x) for x in Formatter(warnings)],
    }
print(json.dumps(out))
