#!/usr/bin/env python3
"""Print the plain-SQL way of landing CTR lines: INSERT ... SELECT with ->> casts.

Reads the field table of src/ctr.c (the loader's own description of a CTR), so
both paths fill the same columns from the same JSON paths:
  plain_ctr_sql.py SRC/ctr.c SOURCE_TABLE TARGET_TABLE
"""
import re
import sys

src, source, target = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(src).read()
fields = re.findall(r'\bCL_(?:F|REQ)\("([^"]+)",\s*"([^"]+)",\s*(CLF_\w+)\)', text)
levels = re.findall(r'LEVEL\((\d)\)', text)
for n in levels:
    fields.append(("Agent.HierarchyGroups.Level%s.ARN" % n, "agent_hierarchygroups_level%s_arn" % n, "CLF_TEXT"))
    fields.append(("Agent.HierarchyGroups.Level%s.GroupName" % n, "agent_hierarchygroups_level%s_groupname" % n, "CLF_TEXT"))

cols, exprs = [], []
for path, col, typ in fields:
    p = "'{" + ",".join(path.split(".")) + "}'"
    e = {
        "CLF_TEXT": "doc #>> %s" % p,
        "CLF_UPPER": "upper(doc #>> %s)" % p,
        "CLF_UUID": "(doc #>> %s)::uuid" % p,
        "CLF_ARN_ID": "substring(doc #>> %s from '[0-9a-f-]{36}$')::uuid" % p,
        "CLF_TIMESTAMPTZ": "(doc #>> %s)::timestamptz" % p,
        "CLF_INT4": "(doc #>> %s)::int" % p,
        "CLF_INT8": "(doc #>> %s)::bigint" % p,
        "CLF_NUMERIC": "(doc #>> %s)::numeric(4,2)" % p,
        "CLF_BOOL": "(doc #>> %s)::boolean" % p,
        "CLF_JSONB": "doc #> %s" % p,
    }[typ]
    cols.append(col)
    exprs.append(e)
cols += ["versions_seen", "source_file"]
exprs += ["1", "'plain'"]
print("INSERT INTO %s (%s)\nSELECT %s\n  FROM %s\nON CONFLICT DO NOTHING;" %
      (target, ", ".join(cols), ",\n       ".join(exprs), source))
