"""Assemble heldout.csv from hand-written src/*.txt.
Line format: intent|urgent|hotline|courtyard|building|text   (text prefixed 'T:' -> converted to Traditional with OpenCC)
"""
import csv, glob, os
from opencc import OpenCC
cc = OpenCC('s2t')
LABEL = {'cxjs': '城乡建设', 'hjbh': '环境保护', 'jtys': '交通运输', 'jyww': '教育文体',
         'ldsb': '劳动和社会保障', 'smly': '商贸旅游', 'wsjs': '卫生计生', 'qt': '其他'}
IMAP = {'c': 'complaint', 's': 'smalltalk', 'p': 'progress', 'pr': 'prelude', 'q': 'question'}
here = os.path.dirname(os.path.abspath(__file__))
rows = []
for fn in sorted(glob.glob(os.path.join(here, 'src', '*.txt'))):
    base = os.path.basename(fn)[:-4]
    lab = LABEL[base.split('_')[0]]
    for ln, line in enumerate(open(fn, encoding='utf-8'), 1):
        line = line.rstrip('\n')
        if not line.strip() or line.startswith('#'):
            continue
        parts = line.split('|', 5)
        assert len(parts) == 6, (fn, ln, line)
        i, u, h, cy, b, text = parts
        trad = False
        if text.startswith('T:'):
            text = cc.convert(text[2:]); trad = True
        rows.append({'text': text.strip(), 'label': lab, 'urgent': int(u), 'intent': IMAP[i],
                     'hotline': h, 'courtyard': cy, 'building': b, '_trad': trad, '_src': f'{base}:{ln}'})
import json
with open(os.path.join(here, 'heldout.csv'), 'w', encoding='utf-8', newline='') as f:
    w = csv.DictWriter(f, fieldnames=['text', 'label', 'urgent', 'intent', 'hotline', 'courtyard', 'building'])
    w.writeheader()
    for r in rows:
        w.writerow({k: r[k] for k in w.fieldnames})
json.dump([{'src': r['_src'], 'trad': r['_trad']} for r in rows], open(os.path.join(here, 'rowmeta.json'), 'w'))
print(len(rows), 'rows written')
