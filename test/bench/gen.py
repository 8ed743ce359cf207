#!/usr/bin/env python3
"""Generate Amazon Connect-shaped test data for the loader benchmarks.

  gen.py ctr  N OUTDIR   N contact trace records (~2 KB each, like the published samples):
                         OUTDIR/ndjson/ctr.ndjson, OUTDIR/gzip/ctr.ndjson.gz,
                         OUTDIR/firehose/<objects of 5000 records, "}{"-concatenated, gzip, no extension>
  gen.py flow N OUTDIR   N contact flow log events, one per line: OUTDIR/flow.ndjson

Deterministic (seeded), so runs compare.
"""
import gzip
import json
import os
import random
import sys
import uuid

rng = random.Random(42)


def u():
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def ts(day, sec):
    h, rem = divmod(sec, 3600)
    m, s = divmod(rem, 60)
    return "2024-%02d-%02dT%02d:%02d:%02dZ" % (1 + day // 28, 1 + day % 28, h % 24, m, s)


AGENTS = [u() for _ in range(200)]
QUEUES = [u() for _ in range(30)]
INSTANCE = "arn:aws:connect:eu-west-1:111122223333:instance/" + u()


def ctr(i):
    day, sec = rng.randrange(56), rng.randrange(80000)
    a, q = rng.choice(AGENTS), rng.choice(QUEUES)
    talk = rng.randrange(30, 1200)
    return {
        "AWSAccountId": "111122223333",
        "AWSContactTraceRecordFormatVersion": "2017-03-10",
        "Agent": {
            "ARN": INSTANCE + "/agent/" + a,
            "AfterContactWorkDuration": rng.randrange(0, 300),
            "AfterContactWorkEndTimestamp": ts(day, sec + talk + 300),
            "AfterContactWorkStartTimestamp": ts(day, sec + talk),
            "AgentInteractionDuration": talk,
            "ConnectedToAgentTimestamp": ts(day, sec + 40),
            "CustomerHoldDuration": rng.randrange(0, 60),
            "HierarchyGroups": {"Level1": {"ARN": INSTANCE + "/agent-group/" + QUEUES[0], "GroupName": "Dublin"},
                                "Level2": {"ARN": INSTANCE + "/agent-group/" + QUEUES[1], "GroupName": "Billing"},
                                "Level3": None, "Level4": None, "Level5": None},
            "LongestHoldDuration": rng.randrange(0, 60),
            "NumberOfHolds": rng.randrange(0, 3),
            "RoutingProfile": {"ARN": INSTANCE + "/routing-profile/" + q, "Name": "Basic Routing Profile"},
            "Username": "agent%03d" % AGENTS.index(a),
        },
        "AgentConnectionAttempts": 1,
        "Attributes": {"intent": rng.choice(["billing", "move", "meter", "payment"]),
                       "accountNumbers": "A-%07d" % rng.randrange(10**7),
                       "greetingPlayed": "true", "language": "en-IE", "segment": "residential"},
        "Channel": "VOICE",
        "ConnectedToSystemTimestamp": ts(day, sec + 2),
        "ContactDetails": {},
        "ContactId": u(),
        "CustomerEndpoint": {"Address": "+35387%07d" % rng.randrange(10**7), "Type": "TELEPHONE_NUMBER"},
        "DisconnectReason": rng.choice(["CUSTOMER_DISCONNECT", "AGENT_DISCONNECT"]),
        "DisconnectTimestamp": ts(day, sec + talk + 45),
        "InitialContactId": None,
        "InitiationMethod": "INBOUND",
        "InitiationTimestamp": ts(day, sec),
        "InstanceARN": INSTANCE,
        "LastUpdateTimestamp": ts(day, sec + talk + 400),
        "MediaStreams": [{"Type": "AUDIO"}],
        "NextContactId": None,
        "PreviousContactId": None,
        "Queue": {"ARN": INSTANCE + "/queue/" + q, "DequeueTimestamp": ts(day, sec + 40),
                  "Duration": 38, "EnqueueTimestamp": ts(day, sec + 2), "Name": "Q%02d" % QUEUES.index(q)},
        "Recording": {"DeletionReason": None, "Location": "connect-recordings/2024/%s.wav" % i,
                      "Status": "AVAILABLE", "Type": "AUDIO"},
        "Recordings": [{"DeletionReason": None, "FragmentStartNumber": "9134385233318150666908441974" + "%019d" % i,
                        "FragmentStopNumber": "9134385233318150666908441975" + "%019d" % i,
                        "Location": "connect-recordings/2024/%s.wav" % i, "MediaStreamType": "AUDIO",
                        "ParticipantType": "AGENT", "StartTimestamp": ts(day, sec + 40),
                        "Status": "AVAILABLE", "StopTimestamp": ts(day, sec + talk), "StorageType": "S3"}],
        "References": [],
        "SystemEndpoint": {"Address": "+35315550100", "Type": "TELEPHONE_NUMBER"},
        "TransferCompletedTimestamp": None,
        "TransferredToEndpoint": None,
        "Tags": {"aws:connect:instanceId": INSTANCE[-36:]},
    }


def flow(i):
    day, sec = rng.randrange(56), rng.randrange(80000)
    mod = rng.choice(["SetLoggingBehavior", "SetQueue", "InvokeExternalResource", "CheckAttribute",
                      "PlayPrompt", "SetAttributes", "Transfer"])
    ev = {"ContactId": u(),
          "ContactFlowId": INSTANCE + "/contact-flow/" + QUEUES[i % 30],
          "ContactFlowName": "Main inbound",
          "ContactFlowModuleType": mod,
          "Identifier": "block-%d" % (i % 50),
          "Timestamp": ts(day, sec)[:-1] + ".%03dZ" % (i % 1000),
          "Parameters": {"Value": "v%d" % i, "Queue": INSTANCE + "/queue/" + QUEUES[i % 30]}}
    if mod == "InvokeExternalResource":
        ev["ExternalResults"] = {"tier": "Gold", "balance": "12.50"}
    return ev


def main():
    what, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if what == "ctr":
        for d in ("ndjson", "gzip", "firehose"):
            os.makedirs(os.path.join(out, d), exist_ok=True)
        nd = open(os.path.join(out, "ndjson", "ctr.ndjson"), "w")
        gz = gzip.open(os.path.join(out, "gzip", "ctr.ndjson.gz"), "wt", compresslevel=1)
        obj, fh = 0, None
        for i in range(n):
            line = json.dumps(ctr(i), separators=(",", ":"))
            nd.write(line + "\n")
            gz.write(line + "\n")
            if i % 5000 == 0:
                if fh:
                    fh.close()
                fh = gzip.open(os.path.join(out, "firehose", "connect-ctr-1-2024-01-01-00-%02d-%02d-%s" % (obj // 60, obj % 60, u())),
                               "wt", compresslevel=1)
                obj += 1
            fh.write(line)          # Firehose: records back to back, no delimiter
        fh.close()
        nd.close()
        gz.close()
    elif what == "flow":
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "flow.ndjson"), "w") as f:
            for i in range(n):
                f.write(json.dumps(flow(i), separators=(",", ":")) + "\n")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
