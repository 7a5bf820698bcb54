import csv, re, collections, unicodedata, yaml
org = yaml.safe_load(open('org.yaml', encoding='utf-8'))
canon = {c['name'] for cm in org['communities'] for c in cm['courtyards']}
rows = list(csv.DictReader(open('heldout.csv', encoding='utf-8')))
LAB = {'城乡建设','环境保护','交通运输','教育文体','劳动和社会保障','商贸旅游','卫生计生','其他'}
INT = {'complaint','smalltalk','progress','prelude','question'}
HOT = {'119','120','110','122','95598','燃气','供水'}
CN = {'一':1,'二':2,'三':3,'四':4,'五':5,'六':6,'七':7,'八':8,'九':9,'十':10}
def bld(t):
    t = unicodedata.normalize('NFKC', t)
    for p in [r'(\d+)\s*(?:号楼|號樓|栋|棟|幢)', r'[Bb]uilding\s*(\d+)', r'(\d+)-\d+-\d+']:
        m = re.search(p, t)
        if m: return m.group(1)
    m = re.search(r'(?<![了整])([一二三四五六七八九十])(?:号楼|號樓|栋|棟|幢)', t)
    if m: return str(CN[m.group(1)])
    return ''
err = 0
def bad(r, why):
    global err; err += 1; print('ERR', why, r['text'])
seen = set()
for r in rows:
    if r['label'] not in LAB: bad(r, 'label')
    if r['intent'] not in INT: bad(r, 'intent')
    if r['urgent'] not in ('0','1'): bad(r, 'urgent')
    if r['hotline'] and r['hotline'] not in HOT: bad(r, 'hotline')
    if bool(r['hotline']) != (r['urgent'] == '1'): bad(r, 'hotline<->urgent')
    if r['label'] == '其他' and r['urgent'] == '1': bad(r, '其他 urgent')
    if r['label'] == '其他' and r['intent'] == 'complaint': bad(r, '其他 complaint')
    if r['label'] != '其他' and r['intent'] in ('smalltalk','progress','prelude'): bad(r, 'non-其他 with 其他 intent')
    if r['courtyard'] and r['courtyard'] not in canon: bad(r, 'courtyard')
    if r['text'] in seen: bad(r, 'dup')
    seen.add(r['text'])
    if bld(r['text']) != r['building']: bad(r, f"building {r['building']!r} vs {bld(r['text'])!r}")
n = len(rows)
C = collections.Counter
print('rows', n, 'errors', err)
for k in ['label','intent','urgent','hotline']:
    print(k, dict(C(r[k] for r in rows).most_common()))
print('courtyard named', sum(1 for r in rows if r['courtyard']), f"{sum(1 for r in rows if r['courtyard'])/n:.1%}")
print('courtyards', dict(C(r['courtyard'] for r in rows if r['courtyard']).most_common()))
print('building given', sum(1 for r in rows if r['building']))
print('short<=8', sum(len(r['text'])<=8 for r in rows), 'long100-250', sum(100<=len(r['text'])<=250 for r in rows))
print('latin-heavy', sum(bool(re.search(r'[A-Za-z]{4,}', r['text'])) for r in rows))
print('urgent share', f"{sum(r['urgent']=='1' for r in rows)/n:.1%}", '其他 share', f"{sum(r['label']=='其他' for r in rows)/n:.1%}")
