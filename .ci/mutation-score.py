#!/usr/bin/env python3
"""Mutation scores per file and per folder from Stryker.NET JSON reports (mutation-report.json), and the survivors.

Score = (killed + timeout) / (killed + timeout + survived + no coverage); compile errors and ignored mutants are left
out. Only files with at least one tested mutant are listed, so a report of one piece lists only that piece's files.

    python3 .ci/mutation-score.py REPORT.json [REPORT.json ...] [--survivors]
"""
import collections
import json
import sys

args = sys.argv[1:]
show_survivors = '--survivors' in args
per_file = collections.defaultdict(collections.Counter)
survivors = []
for path in (a for a in args if not a.startswith('--')):
    with open(path, encoding='utf-8') as f:
        report = json.load(f)
    for name, data in report['files'].items():
        name = name.split('TypedBatch.Generators/')[-1]
        lines = data['source'].split('\n')
        for mutant in data['mutants']:
            per_file[name][mutant['status']] += 1
            if mutant['status'] in ('Survived', 'NoCoverage'):
                line = mutant['location']['start']['line']
                survivors.append((name, line, mutant['status'], mutant['mutatorName'], lines[line - 1].strip()[:120]))


def row(label, c):
    detected = c['Killed'] + c['Timeout']
    total = detected + c['Survived'] + c['NoCoverage']
    return (f"{label:42} {100.0 * detected / total:5.1f} %  killed {c['Killed']:4}  timeout {c['Timeout']:3}  "
            f"survived {c['Survived']:4}  no coverage {c['NoCoverage']:3}  compile error {c['CompileError']:3}")


folders = collections.defaultdict(collections.Counter)
for name, counts in sorted(per_file.items()):
    if counts['Killed'] + counts['Timeout'] + counts['Survived'] + counts['NoCoverage'] == 0:
        continue
    folders[name.split('/')[0] + '/'] += counts
    print(row(name, counts))
for name, counts in sorted(folders.items()):
    print(row('total ' + name, counts))
if show_survivors:
    for survivor in sorted(survivors):
        print(' | '.join(str(part) for part in survivor))
