#!/usr/bin/env python3
"""Write the records of delivered files as JSON lines (one record a line), the
input of the plain-SQL path (COPY lines into jsonb):
  to_ndjson.py OUT FILE...
Firehose objects (gzip or not, records concatenated or one a line) give their
records; CloudWatch subscription envelopes give the messages of their
DATA_MESSAGE logEvents (flow log events).
"""
import gzip
import json
import sys

out = open(sys.argv[1], "w")
dec = json.JSONDecoder()
for path in sys.argv[2:]:
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    s, i, n = raw.decode("utf-8"), 0, len(raw)
    n = len(s)
    while True:
        while i < n and s[i] in " \t\r\n":
            i += 1
        if i >= n:
            break
        obj, i = dec.raw_decode(s, i)
        if isinstance(obj, dict) and "logEvents" in obj:
            if obj.get("messageType") == "DATA_MESSAGE":
                for ev in obj["logEvents"]:
                    out.write(json.dumps(json.loads(ev["message"]), separators=(",", ":")) + "\n")
        else:
            out.write(json.dumps(obj, separators=(",", ":")) + "\n")
out.close()
