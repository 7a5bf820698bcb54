import csv, json, re, os, sys, collections
import yaml
from opencc import OpenCC
cc = OpenCC('s2t')
here = os.path.dirname(os.path.abspath(__file__))
org = yaml.safe_load(open(os.path.join(here, 'org.yaml'), encoding='utf-8'))
CY = {}
for com in org['communities']:
    for c in com['courtyards']:
        CY[c['name']] = c['aliases']
rows = list(csv.DictReader(open(os.path.join(here, 'heldout.csv'), encoding='utf-8')))
meta = json.load(open(os.path.join(here, 'rowmeta.json')))
LABELS = {'城乡建设', '环境保护', '交通运输', '教育文体', '劳动和社会保障', '商贸旅游', '卫生计生', '其他'}
INTENTS = {'complaint', 'smalltalk', 'progress', 'prelude', 'question'}
HOT = {'119', '120', '110', '122', '95598', '燃气', '供水'}
err = []
seen = {}
CN = {'一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9, '十': 10,
      '十一': 11, '十二': 12, '十五': 15}
LOOKALIKES = ['石桥路', '石桥小学', '樟树湾码头', '油坊街', '粮站路', '锦绣广场', '翠竹路', '新华路', '新华书店',
              '丽景酒店', '桃李幼儿园', '河坝菜市场', '金沙河', '金沙湾大桥', '龙井中学', '红星路', '青杠镇卫生院']
def buildings(t):
    t2 = t.translate(str.maketrans('０１２３４５６７８９', '0123456789'))
    out = set()
    for m in re.finditer(r'(\d+|十[一二三四五六七八九]?|[一二两三四五六七八九])\s*(号楼|號樓|栋|棟|幢|号院楼)', t2):
        v = m.group(1); out.add(int(v) if v.isdigit() else CN[v])
    for m in re.finditer(r'(?i)building\s*(\d+)', t2):
        out.add(int(m.group(1)))
    for m in re.finditer(r'(?<![\d-])(\d+)-\d+-\d+', t2):
        out.add(int(m.group(1)))
    return out
for k, (r, m) in enumerate(zip(rows, meta), 2):
    t = r['text']; where = f"row {k} ({m['src']}): {t[:30]}"
    if r['label'] not in LABELS: err.append('label ' + where)
    if r['intent'] not in INTENTS: err.append('intent ' + where)
    if r['urgent'] not in ('0', '1'): err.append('urgent ' + where)
    if r['hotline'] and r['hotline'] not in HOT: err.append('hotline value ' + where)
    if (r['urgent'] == '1') != bool(r['hotline']): err.append('hotline/urgent ' + where)
    if r['label'] == '其他' and r['urgent'] == '1': err.append('其他 urgent ' + where)
    if r['label'] == '其他' and r['intent'] == 'complaint': err.append('其他 complaint ' + where)
    if r['label'] != '其他' and r['intent'] in ('smalltalk', 'prelude', 'progress'): err.append('intent/label ' + where)
    if t in seen: err.append(f'dup {where} == row {seen[t]}')
    seen[t] = k
    if r['courtyard'] and r['courtyard'] not in CY: err.append('courtyard not canonical ' + where)
    b = buildings(t)
    if r['building']:
        if not r['building'].isdigit() or int(r['building']) not in b: err.append(f'building {r["building"]} vs {b} ' + where)
    elif b: err.append(f'building missing {b} ' + where)
    # courtyard mention must be present in some form if set; canonical/alias in text without value is an error
    names = [(n, a) for n, al in CY.items() for a in [n] + al]
    tl = t
    for la in LOOKALIKES: tl = tl.replace(la, '').replace(cc.convert(la), '')
    hits = {n for n, a in names if a in tl or cc.convert(a) in tl}
    if r['courtyard'] and hits and r['courtyard'] not in hits: err.append(f'courtyard {r["courtyard"]} but text hits {hits} ' + where)
    if not r['courtyard'] and hits: err.append(f'courtyard empty but text hits {hits} ' + where)
def style(r, m):
    t, c = r['text'], r['courtyard']
    if not c: return ''
    if c in t: return 'name'
    if any(a in t for a in CY[c]): return 'alias'
    if any(cc.convert(a) in t for a in [c] + CY[c]): return 'traditional'
    if re.search(c[:2] + r'[\d０-９]', t): return 'shortened'
    if re.search(r'(?i)garden|court|bay|village|dorm|apartment|compound|quarters|lane|estate|flats', t): return 'english'
    if re.search(r'[A-Za-z]', t): return 'pinyin'
    return 'typo'
C = collections.Counter
n = len(rows)
print('rows', n)
for col in ('label', 'intent', 'urgent', 'hotline'):
    print(col, dict(C(r[col] for r in rows).most_common()))
st = C(style(r, m) for r, m in zip(rows, meta))
print('courtyard style', dict(st.most_common()), 'named share %.1f%%' % (100 * (n - st['']) / n))
print('courtyards used', dict(C(r['courtyard'] for r in rows if r['courtyard']).most_common()))
print('building rows', sum(1 for r in rows if r['building']))
print('traditional %.1f%%' % (100 * sum(m['trad'] for m in meta) / n))
print('latin %.1f%%' % (100 * sum(1 for r in rows if re.search(r'[A-Za-z]{3,}', r['text'])) / n))
print('short<=8 %.1f%%' % (100 * sum(1 for r in rows if len(r['text']) <= 8) / n))
print('long>=100 %.1f%%' % (100 * sum(1 for r in rows if len(r['text']) >= 100) / n))
print('urgent %.1f%%' % (100 * sum(r['urgent'] == '1' for r in rows) / n))
print('其他 %.1f%%' % (100 * sum(r['label'] == '其他' for r in rows) / n))
print('\n'.join(err) if err else 'NO ERRORS', f'({len(err)} errors)')
sys.exit(1 if err else 0)
