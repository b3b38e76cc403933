"""The API's one JSON format, the one Flask's jsonify writes for the public reads: compact, keys
sorted, a newline at the end (so that an answer printed in a terminal ends its line)."""
import json


def json_text(data, sort_keys=True):
    return json.dumps(data, sort_keys=sort_keys, separators=(",", ":")) + "\n"
