#!/usr/bin/env python3
"""Print the plain-SQL way of landing one kind's records, as a DBA without
connect_lake would: CREATE TABLE AS SELECT with ->> casts from a table of
jsonb lines (one column, doc).

Reads the kind's field table in its C file (the loader's own description of
the kind), so both paths fill the same columns from the same JSON paths;
custom fields (CL_CUSTOM, e.g. a case's fields) are kept as jsonb.  CTRs,
which are versions of one row per contact, keep the newest version of each
(DISTINCT ON the table's key, latest LastUpdateTimestamp), as load() does.
  plain_kind_sql.py SRC_DIR KIND SOURCE_TABLE TARGET_TABLE [CASE_FIELD_MAP]
Kinds: ctr, contact_event, case_event (two tables: TARGET_case and
TARGET_item, split on the record's detail, with a case's system fields in
columns as load() has them; and TARGET_state, the latest event of every
case, as load() keeps case_state; with CASE_FIELD_MAP, a file of tab-separated
field id, column, field type and column type, the custom fields mapped into
their columns as well), agent_event, contact_flow_log.

contact_flow_log starts, as load() does, from the delivered CloudWatch Logs
subscription envelopes (one a line, to_ndjson.py --envelopes): the events
come out of each DATA_MESSAGE envelope's logEvents with
jsonb_array_elements(), each message string is cast to jsonb once (a function
in FROM), and log_group / log_stream are read once per envelope (a subquery
kept apart with OFFSET 0: pulled up, the planner would read them from the
TOASTed envelope once per event).
"""
import re
import sys

srcdir, kind, source, target = sys.argv[1:5]
# case_event: the lake's case_field_map, as the benchmark loaded it from the
# generated ListFields response (fields.json), as tab-separated lines of
# field id, column, field type (Text, Boolean, Number ...) and column type
field_map = sys.argv[5] if len(sys.argv) > 5 else None
files = {"ctr": "ctr.c", "contact_event": "contact_event.c", "case_event": "case_event.c",
         "agent_event": "agent_event.c", "contact_flow_log": "flowlog.c"}
text = open("%s/%s" % (srcdir, files[kind])).read()
macros = dict(re.findall(r'#define\s+(\w+)\s+"([^"]*)"', text))


def table(name):
    """The CL_F/CL_REQ/CL_TS/CL_CUSTOM entries of one CLField array."""
    body = re.search(r'CLField\s+%s\[\]\s*=\s*\{(.*?)\n\};' % name, text, re.S).group(1)
    out = []
    for m in re.finditer(r'\bCL_(F|REQ|TS|CUSTOM)\(((?:\w+\s+)?)"([^"]+)"(?:,\s*"([^"]+)")?(?:,\s*(CLF_\w+))?', body):
        macro, prefix, path, col, typ = m.groups()
        path = macros.get(prefix.strip(), "") + path
        if macro == "TS":
            typ = "CLF_TIMESTAMPTZ"
        if macro == "CUSTOM":
            col, typ = path.replace(".", "_").lower(), "CLF_JSONB"
        out.append((path, col, typ))
    if name == "ctr_fields":
        # the attributes_* columns ctr.c fills from contact attributes (the default map)
        for col, key in (("intent", "intent"), ("caseid", "caseId"), ("accountnumbers", "accountNumbers"),
                         ("juniferid", "juniferId")):
            out.append(("Attributes.%s" % key, "attributes_%s" % col, "CLF_TEXT"))
        for col, key in (("csatresults_agentrating", "csatResults.agentRating"),
                         ("csatresults_resolutionrating", "csatResults.resolutionRating")):
            out.append(("Attributes.%s" % key, "attributes_%s" % col, "RATING"))
        for n in re.findall(r'LEVEL\((\d)\)', body):
            out.append(("Agent.HierarchyGroups.Level%s.ARN" % n, "agent_hierarchygroups_level%s_arn" % n, "CLF_TEXT"))
            out.append(("Agent.HierarchyGroups.Level%s.GroupName" % n, "agent_hierarchygroups_level%s_groupname" % n, "CLF_TEXT"))
    return out


def select(fields, tgt, where, distinct=None, source=source, extra=()):
    cols, exprs, seen = [], [], set()
    for path, col, typ in fields:
        if col in seen:
            continue
        seen.add(col)
        p = "'{" + ",".join(path.split(".")) + "}'"
        if typ == "RATING":    # an attribute key holding a dot: one path element
            p = "'{Attributes,\"%s\"}'" % path[len("Attributes."):]
        e = {
            "CLF_TEXT": "doc #>> %s" % p,
            "CLF_UPPER": "upper(doc #>> %s)" % p,
            "CLF_UUID": "(doc #>> %s)::uuid" % p,
            "CLF_ARN_ID": "substring(doc #>> %s from '[0-9a-f-]{36}$')::uuid" % p,
            "CLF_TIMESTAMPTZ": "(doc #>> %s)::timestamptz" % p,
            "CLF_INT4": "(doc #>> %s)::int" % p,
            "CLF_INT8": "(doc #>> %s)::bigint" % p,
            "CLF_NUMERIC": "(doc #>> %s)::numeric" % p,
            "CLF_BOOL": "(doc #>> %s)::boolean" % p,
            "CLF_JSONB": "doc #> %s" % p,
            "RATING": "CASE WHEN btrim(doc #>> %s) ~ '^[-+]?[0-9]{1,9}$' THEN btrim(doc #>> %s)::int END" % (p, p),
        }[typ] if not typ.startswith("CAST ") else "(doc #>> %s)::%s" % (p, typ[5:])
        cols.append(col)
        exprs.append("%s AS %s" % (e, col))
    exprs.extend(extra)
    if distinct:
        keys, newest = distinct
        return "CREATE TABLE %s AS\nSELECT DISTINCT ON (%s) %s\n  FROM %s%s\n ORDER BY %s, %s DESC NULLS LAST;" % (
            tgt, ", ".join(keys), ",\n       ".join(exprs), source, where, ", ".join(keys), newest)
    return "CREATE TABLE %s AS\nSELECT %s\n  FROM %s%s;" % (tgt, ",\n       ".join(exprs), source, where)


# A case's system fields (connect-formats.md section 4), which load() puts in
# their own columns by their field ids: the DBA's columns too, from the
# tagged value (all of them stringValue); the whole fields object stays as
# jsonb (load(): the fields no column takes, in detail_case_fields_other).
CASE_SYSTEM_FIELDS = [("status", "CLF_TEXT"), ("title", "CLF_TEXT"), ("summary", "CLF_TEXT"),
                      ("case_reason", "CLF_TEXT"), ("customer_id", "CLF_TEXT"),
                      ("reference_number", "CLF_TEXT"), ("last_updated_datetime", "CLF_TIMESTAMPTZ"),
                      ("last_closed_datetime", "CLF_TIMESTAMPTZ")]

if kind == "case_event":
    fields = [f if f[2] != "CLF_JSONB" or f[0] != "detail.case.fields"
              else (f[0], "detail_case_fields_other", f[2]) for f in table("case_event_fields")]
    fields += [("detail.case.fields.%s.value.stringValue" % f, "detail_case_fields_" + f, t)
               for f, t in CASE_SYSTEM_FIELDS]
    # The custom fields the lake maps to columns (case_field_map): the DBA
    # knows the same field ids from the same ListFields response and takes
    # each from the tagged value its field type carries, cast to the column's
    # type (load() fills these columns from case_field_map; without them the
    # plain path would land less than load()).
    if field_map:
        tag = {"Boolean": "booleanValue", "Number": "doubleValue", "User": "userArnValue"}
        for line in open(field_map):
            fid, col, ftype, ctype = line.rstrip("\n").split("\t")
            fields.append(("detail.case.fields.%s.value.%s" % (fid, tag.get(ftype, "stringValue")), col,
                           "CLF_TEXT" if ctype == "text" else "CAST " + ctype))
    print(select(fields, target + "_case", "\n WHERE doc->'detail' ? 'case'"))
    print(select(table("case_related_item_fields"), target + "_item", "\n WHERE doc->'detail' ? 'relatedItem'"))
    # load() keeps the latest event of every case (case_state): so does the DBA
    print("CREATE TABLE %s_state AS\nSELECT DISTINCT ON (detail_case_caseid) *\n  FROM %s_case\n"
          " ORDER BY detail_case_caseid, detail_approximatechangetime DESC, event_id DESC;" % (target, target))
elif kind == "contact_flow_log":
    events = ("(SELECT doc -> 'logEvents' AS events, doc ->> 'logGroup' AS log_group,\n"
              "               doc ->> 'logStream' AS log_stream\n"
              "          FROM %s WHERE doc ->> 'messageType' = 'DATA_MESSAGE' OFFSET 0) e\n"
              " CROSS JOIN LATERAL jsonb_array_elements(e.events) ev\n"
              " CROSS JOIN LATERAL CAST(ev ->> 'message' AS jsonb) m(doc)" % source)
    print(select(table("flowlog_fields"), target, "", source=events, extra=("log_group", "log_stream")))
else:
    name = {"ctr": "ctr_fields", "contact_event": "contact_event_fields",
            "agent_event": "agent_event_fields"}[kind]
    # CTRs are versions of one row per contact: the table keeps the newest
    # (its key and version column, as load() lands them; see version_land.c)
    distinct = (["contactid", "initiationtimestamp"], "lastupdatetimestamp") if kind == "ctr" else None
    print(select(table(name), target, "", distinct))
