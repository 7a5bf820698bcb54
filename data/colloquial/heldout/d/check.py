# Checks heldout.csv against the brief; run: python check.py  (needs pyyaml)
import csv, re, collections, os, yaml
D = os.path.dirname(os.path.abspath(__file__))
R = list(csv.DictReader(open(os.path.join(D, 'heldout.csv'), encoding='utf-8')))
org = yaml.safe_load(open(os.path.join(D, 'org.yaml'), encoding='utf-8'))
canon = {c['name'] for cm in org['communities'] for c in cm['courtyards']}
LAB = {'城乡建设','环境保护','交通运输','教育文体','劳动和社会保障','商贸旅游','卫生计生','其他'}
INT = {'complaint','smalltalk','progress','prelude','question'}
HOT = {'119','120','110','122','95598','燃气','供水'}
CN = '零一二三四五六七八九十'
def forms(b):
    n = int(b); out = [b, ''.join(chr(ord(c)+0xFEE0) for c in b)]
    if n <= 10: out.append(CN[n]); out += ['两'] if n == 2 else []
    elif n < 20: out.append('十'+CN[n-10])
    return out
err = []
assert list(R[0].keys()) == ['text','label','urgent','intent','hotline','courtyard','building']
for r in R:
    t = r['text']
    if r['label'] not in LAB: err.append(('label', t))
    if r['intent'] not in INT: err.append(('intent', t))
    if r['urgent'] not in ('0','1'): err.append(('urgent', t))
    if r['hotline'] and r['hotline'] not in HOT: err.append(('hotline value', t))
    if (r['urgent'] == '1') != bool(r['hotline']): err.append(('hotline iff urgent', t))
    if r['label'] == '其他' and r['urgent'] == '1': err.append(('其他 urgent', t))
    if r['courtyard'] and r['courtyard'] not in canon: err.append(('courtyard not canonical', t))
    b = r['building']
    if b:
        ok = b.isdigit() and (any(re.search(r'(?<![0-9０-９])'+re.escape(x)+r'\s*(栋|棟|幢|号楼|號樓)', t) for x in forms(b))
                              or re.search(r'[Bb]uilding\s*'+b+r'(?!\d)', t))
        if not ok: err.append(('building not in text', t))
    else:
        tt = re.sub(r'(一共|共有|总共)[一二两三四五六七八九十\d]+(栋|棟)', '', t)
        if re.search(r'(\d+|[一二两三四五六七八九十]+)\s*(栋|棟|幢|号楼|號樓)', tt) or re.search(r'[Bb]uilding\s*\d', tt):
            err.append(('building missing', t))
dup = [t for t, n in collections.Counter(r['text'] for r in R).items() if n > 1]
err += [('duplicate', t) for t in dup]
print('errors:', len(err)); [print(' ', e) for e in err]
N = len(R); C = collections.Counter
print('rows', N)
print('label', C(r['label'] for r in R).most_common())
print('intent', C(r['intent'] for r in R).most_common())
u = sum(r['urgent'] == '1' for r in R); print('urgent', u, f'{u/N:.1%}')
print('hotline', C(r['hotline'] for r in R if r['hotline']).most_common())
cy = sum(bool(r['courtyard']) for r in R); print('courtyard named', cy, f'{cy/N:.1%}; none', N-cy, f'{(N-cy)/N:.1%}')
print('building filled', sum(bool(r['building']) for r in R))
