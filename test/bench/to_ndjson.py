#!/usr/bin/env python3
"""Write the records of delivered files as JSON lines (one record a line), the
input of the plain-SQL path (COPY lines into jsonb):
  to_ndjson.py [--envelopes] OUT FILE...
Firehose objects (gzip or not, records concatenated or one a line) give their
records.  CloudWatch subscription envelopes give, with --envelopes, each
envelope whole on its own line (its bytes as delivered, line breaks between
tokens made blanks: the plain path then takes the events apart in SQL, as
load() does in C); without, the messages of their DATA_MESSAGE logEvents
(flow log events) already extracted.
"""
import gzip
import json
import sys

args = sys.argv[1:]
envelopes = args[0] == "--envelopes"
if envelopes:
    args = args[1:]
out = open(args[0], "w")
dec = json.JSONDecoder()
for path in args[1:]:
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
        start = i
        obj, i = dec.raw_decode(s, i)
        if isinstance(obj, dict) and "logEvents" in obj and envelopes:
            # JSON strings hold no raw line break: any is between tokens
            out.write(s[start:i].replace("\r", " ").replace("\n", " ") + "\n")
        elif isinstance(obj, dict) and "logEvents" in obj:
            if obj.get("messageType") == "DATA_MESSAGE":
                for ev in obj["logEvents"]:
                    out.write(json.dumps(json.loads(ev["message"]), separators=(",", ":")) + "\n")
        else:
            out.write(json.dumps(obj, separators=(",", ":")) + "\n")
out.close()
