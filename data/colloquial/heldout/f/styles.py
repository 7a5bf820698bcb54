import csv, re, yaml, collections
org = yaml.safe_load(open('org.yaml', encoding='utf-8'))
al = {c['name']: c['aliases'] for cm in org['communities'] for c in cm['courtyards']}
import opencc; t2s = opencc.OpenCC('t2s')
C = collections.Counter()
for r in csv.DictReader(open('heldout.csv', encoding='utf-8')):
    cy = r['courtyard']
    if not cy: continue
    t = r['text']; s = t2s.convert(t)
    trad = s != t
    if cy in t: k = 'canonical name'
    elif any(a in t for a in al[cy]): k = 'alias'
    elif trad and (cy in s or any(a in s for a in al[cy])): k = 'Traditional'
    elif re.search(r'[A-Za-z]{4,}', t): k = 'pinyin/English'
    else: k = 'typo/homophone'
    C[k] += 1
print(dict(C))
