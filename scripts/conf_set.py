#!/usr/bin/python3
# conf_set.py FILE SECTION KEY VALUE: set KEY in SECTION of a lancre.conf in place, for
# the tests and the benchmarks (lancre refuses a key set twice, so appending an override
# does not work): its line, commented or not, becomes KEY = VALUE; else it is added to the
# section, and the section to the file.
import re, sys
path, sec, key, val = sys.argv[1:5]
lines = open(path).read().split('\n')
cur, hdr = None, None
for i, line in enumerate(lines):
    m = re.match(r'\[(.*)\]\s*$', line)
    if m:
        cur = m.group(1)
        hdr = i if cur == sec else hdr
    elif cur == sec and re.match(';?' + re.escape(key) + r'\s*=', line):
        lines[i] = f'{key} = {val}'
        break
else:
    if hdr is None:
        lines += [f'[{sec}]', f'{key} = {val}', '']
    else:
        lines.insert(hdr + 1, f'{key} = {val}')
open(path, 'w').write('\n'.join(lines))
