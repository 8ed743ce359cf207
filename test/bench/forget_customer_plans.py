#!/usr/bin/env python3
"""Where forget_customer() reads: a summary of the plans auto_explain logged
(log_analyze, log_nested_statements, text format) for one call, read from
stdin (psql's output with client_min_messages = log).

For every statement, every scan of a lake relation (the erasure's temporary
working set left out): an index probe (Index Scan, Index Only Scan, Bitmap
Index Scan) or a sequential scan, with the rows it read.  Prints per relation
(partition) the statements that probe it by index and those that scan it,
and lists every sequential scan reading more than --threshold rows (default
1000): a full scan of a table that grows with the lake.  Statements are
named by their first line (an erasure step's UPDATE names its table).
Exit status 0; the caller reads the verdict line."""
import re
import sys
from collections import defaultdict

threshold = 1000
if len(sys.argv) > 2 and sys.argv[1] == '--threshold':
    threshold = int(sys.argv[2])

node_re = re.compile(r'(Seq Scan|Index Scan|Index Only Scan|Bitmap Index Scan|Bitmap Heap Scan|Tid Scan)'
                     r'(?: Backward)?(?: using (\S+))? on (\S+)(?: (\S+))?\s+\(cost=[^)]*\) \(actual rows=(\d+) loops=(\d+)\)')
removed_re = re.compile(r'Rows Removed by Filter: (\d+)')
temp = re.compile(r'^(cl_erase_|pg_temp)')

plans = []          # (label, [lines])
cur = None
for line in sys.stdin:
    line = line.rstrip('\n')
    if 'LOG:  duration:' in line and 'plan:' in line:
        cur = {'text': [], 'plan': [], 'in_text': False,
               'ms': float(re.search(r'duration: ([0-9.]+) ms', line).group(1))}
        plans.append(cur)
        continue
    if cur is None:
        continue
    if line.startswith('Query Text:'):
        cur['in_text'] = True
        cur['text'].append(line[len('Query Text:'):].strip())
        continue
    if cur['in_text'] and node_re.search(line) is None and not re.match(r'^\S.*\(cost=', line):
        cur['text'].append(line.strip())
        continue
    cur['in_text'] = False
    cur['plan'].append(line)

def label(text):
    body = ' '.join(t for t in text if t)
    m = re.match(r'UPDATE connect_lake\.(\w+)', body)
    if m:
        return 'step ' + m.group(1)
    body = re.sub(r'\s+', ' ', body)
    return body[:90] if body else '(a function\'s statement)'

probes = defaultdict(lambda: defaultdict(int))    # relation -> label -> count
scans = defaultdict(lambda: defaultdict(int))     # relation -> label -> rows read
full = []
for p in plans:
    lab = label(p['text'])
    lines = p['plan']
    heap = None
    for i, line in enumerate(lines):
        m = node_re.search(line)
        if not m:
            continue
        kind, index, rel, alias, rows, loops = m.groups()
        if kind == 'Bitmap Heap Scan':
            heap = rel
            continue
        if kind == 'Bitmap Index Scan':
            # "Bitmap Index Scan on <index>": the table is its Bitmap Heap Scan's
            rel = heap or rel
        if temp.match(rel):
            continue
        if kind == 'Seq Scan':
            read = int(rows) * int(loops)
            for nxt in lines[i + 1:i + 4]:
                r = removed_re.search(nxt)
                if r:
                    read += int(r.group(1)) * int(loops)
                    break
            scans[rel][lab] += read
            if read > threshold:
                full.append((rel, read, lab))
        else:
            probes[rel][lab] += int(loops)

print('%-44s %8s %8s  %s' % ('relation', 'probes', 'scanned', 'statements (scans: rows read)'))
for rel in sorted(set(probes) | set(scans)):
    np = sum(probes[rel].values())
    ns = sum(scans[rel].values())
    what = '; '.join('%s: %d rows' % (l[:50], n) for l, n in sorted(scans[rel].items()))
    print('%-44s %8d %8s  %s' % (rel, np, ns if scans[rel] else '-', what))
print()
print('slowest statements (ms, nested statements included in their callers\'):')
for p in sorted(plans, key=lambda p: -p['ms'])[:8]:
    print('  %10.1f  %s' % (p['ms'], label(p['text'])))
print()
if full:
    print('full scans (more than %d rows read):' % threshold)
    for rel, read, lab in sorted(full):
        print('  %-40s %10d rows  %s' % (rel, read, lab))
    print('verdict: %d sequential scans of more than %d rows' % (len(full), threshold))
else:
    print('verdict: every lookup of a lake table is an index probe (no sequential scan of more than %d rows)' % threshold)
