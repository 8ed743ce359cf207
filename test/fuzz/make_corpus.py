#!/usr/bin/env python3
"""Writes the fuzzer's seed corpus (test/fuzz/corpus): small inputs of every
format the framer reads, plain and gzip, well-formed and broken.  Each input
is two option bytes (see framing_fuzz.c) and the file's bytes.  Run it again
after changing it; the files it writes are committed."""
import gzip
import json
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
os.makedirs(out, exist_ok=True)
for old in os.listdir(out):
    os.remove(os.path.join(out, old))

FORMATS = ["auto", "ndjson", "concatenated", "array", "cloudwatch_export",
           "cloudwatch_subscription", "filter_log_events"]


def gz(b, mtime=0):
    return gzip.compress(b, compresslevel=6, mtime=mtime)


def flow(i):
    return {"ContactId": "00000000-0000-4000-8000-%012d" % i, "ContactFlowName": "Main",
            "ContactFlowModuleType": "SetQueue", "Identifier": "block %d" % i,
            "Timestamp": "2024-05-01T10:00:%02d.000Z" % i, "Parameters": {"Queue": "q%d" % i}}


recs = [flow(i) for i in range(1, 4)]
lines = [json.dumps(r, separators=(",", ":")).encode() for r in recs]
ndjson = b"\n".join(lines) + b"\n"
concat = b"".join(lines)
pretty = b"\n".join(json.dumps(r, indent=2).encode() for r in recs) + b"\n"
array = b"[" + b",\n".join(lines) + b"]\n"
export = b"".join(b"2024-05-01T10:00:0%d.000Z " % i + l + b"\n" for i, l in enumerate(lines))
envelope = json.dumps({"messageType": "DATA_MESSAGE", "owner": "1", "logGroup": "/aws/connect/x",
                       "logStream": "s", "subscriptionFilters": ["f"],
                       "logEvents": [{"id": str(i), "timestamp": i, "message": l.decode()}
                                     for i, l in enumerate(lines)]}).encode()
control = json.dumps({"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "",
                      "logStream": "", "subscriptionFilters": [], "logEvents": []}).encode()
fle = json.dumps({"events": [{"logStreamName": "s", "timestamp": i, "message": l.decode(),
                              "ingestionTime": i, "eventId": str(i)} for i, l in enumerate(lines)],
                  "searchedLogStreams": [], "nextToken": "t"}).encode()

seeds = {
    "ndjson": (0, 0, ndjson),
    "ndjson_crlf_blank": (1, 0, ndjson.replace(b"\n", b"\r\n\r\n")),
    "ndjson_bom": (0, 0, b"\xef\xbb\xbf" + ndjson),
    "concatenated": (2, 0, concat),
    "pretty": (0, 0, pretty),
    "array": (0, 0, array),
    "arrays_back_to_back": (3, 0, array + array),
    "export": (0, 0, export),
    "export_multiline": (4, 0, b"2024-05-01T10:00:00.000Z " + pretty.replace(b"\n", b"\n", 3)),
    "subscription": (0, 0, envelope + control + envelope),
    "subscription_gzip": (5, 0, gz(envelope) + gz(envelope)),
    "filter_log_events": (0, 0, fle + fle),
    "gzip": (0, 0, gz(ndjson)),
    "gzip_members": (0, 0, gz(ndjson[:10]) + gz(ndjson[10:]) + b"\0\0\0"),
    "gzip_truncated": (0, 0, gz(ndjson)[:-7]),
    "gzip_garbage_after": (0, 0, gz(ndjson) + b"xx"),
    "gzip_forced_on_plain": (0, 1, ndjson),
    "gzip_as_plain": (0, 2, gz(ndjson)),
    "gzip_fd_small_chunks": (0, 4 | (1 << 3), gz(pretty)),
    "plain_fd_chunk100": (0, 4 | (2 << 3), pretty),
    "bad_utf8": (0, 0, lines[0] + b"\n" + b'{"a":"\xc3\x28"}\n' + lines[1] + b"\n"),
    "overlong_utf8": (0, 0, b'{"a":"\xc0\xaf"}\n' + lines[0] + b"\n"),
    "nul_escape": (0, 0, b'{"a":"x\\u0000y"}\n' + lines[0] + b"\n"),
    "lone_surrogate": (0, 0, b'{"a":"\\ud800"}\n{"b":"\\ud83d\\ude00"}\n'),
    "deep": (0, 0x80, b'{"a":' * 10 + b"1" + b"}" * 10 + b"\n" + lines[0] + b"\n"),
    "too_large": (0, 1 << 5, lines[0] + b"\n" + lines[1] + b"\n"),
    "truncated_record": (0, 0, lines[0] + b"\n" + lines[1][:30]),
    "string_runs_into_newline": (0, 0, b'{"ContactId": "oops\n' + lines[0] + b"\n"),
    "missing_comma_pretty": (2, 0, pretty.replace(b'",\n', b'"\n', 1)),
    "not_objects": (0, 0, b'[1,2]\n"s"\n42\ntrue\nnull\n' + lines[0] + b"\n"),
    "garbage_between": (2, 0, lines[0] + b" garbage }{ " + lines[1]),
    "single_quotes_nan": (0, 0, b"{'a': 1}\n{\"a\": NaN}\n{\"a\": 1 /* c */}\n"),
    "big_numbers": (0, 0, b'{"a": 123456789012345678901234567890, "b": -1e999, "c": 1.5e-400}\n'),
    "duplicate_keys": (0, 0, b'{"a": 1, "a": 2}\n'),
    # the tape parser's edges (jsontape.h): escapes, surrogate pairs, a pair json-c fails
    # half-way (its tokener kept the half into the next record), int64's ends, nesting
    "tape_edges": (0, 0, b'{"s": "q\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00", "k\\u0041": [0, -0, 1.50, 1E+2]}\n'
                   b'{"b": "\\ud83d\\ude@00"}\n{"b": "\\ud83d\\ude00"}\n'
                   b'{"i": [9223372036854775807, -9223372036854775808, 9223372036854775806]}\n'
                   b'{"d": [[[[[[[[[[{}]]]]]]]]]], "a": 1, "a": {"x": 2}}\n'),
    # export lines of many lengths read 16 bytes at a time: some messages end where a read
    # ends, and reading the rest of the line moves the buffer the record's tape points into
    "tape_moved_buffer": (4, 0x08, b"".join(b'2024-05-01T10:00:00.000Z {"i":%d,"k":"%s"}\n' % (i, b"x" * ((i * 7) % 50))
                                            for i in range(60))),
    "export_bad_prefix": (4, 0, b"2024-13-01T10:00:00.000Z {}\nnot a date {}\n" + export),
    "subscription_bad_message": (5, 0, envelope.replace(b'"message": "{', b'"message": "{x', 1)),
    "envelope_not_json": (5, 0, b'{"messageType": "DATA_MESSAGE", "logEvents": [' + b"\n" + envelope),
    "fle_bad_event": (6, 0, fle.replace(b'"message"', b'"mess"', 1)),
    "empty": (0, 0, b""),
    "whitespace_only": (0, 0, b" \n\t\r\n"),
}

for name, (fmt, flags, body) in sorted(seeds.items()):
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([fmt, flags]) + body)
print("%d seeds in %s" % (len(seeds), out))
