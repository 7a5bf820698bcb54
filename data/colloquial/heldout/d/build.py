import csv, glob, random, re, collections, sys, os, yaml
import opencc
D = os.path.dirname(os.path.abspath(__file__))
cc = opencc.OpenCC('s2t')
LAB = {'城':'城乡建设','环':'环境保护','交':'交通运输','教':'教育文体','劳':'劳动和社会保障','商':'商贸旅游','卫':'卫生计生','其':'其他'}
INT = {'c':'complaint','s':'smalltalk','p':'progress','r':'prelude','q':'question'}
HOT = {'119','120','110','122','95598','燃气','供水'}
org = yaml.safe_load(open(os.path.join(D,'org.yaml')))
canon = {c['name'] for cm in org['communities'] for c in cm['courtyards']}
rows = []; trad = 0; errs = []
for f in sorted(glob.glob(os.path.join(D,'src','b*.txt'))):
    for i, line in enumerate(open(f, encoding='utf-8'), 1):
        line = line.rstrip('\n')
        if not line.strip() or line.startswith('#'): continue
        p = line.split('|', 6)
        if len(p) != 7 or p[6].startswith('|'): errs.append(f'{f}:{i} fields'); continue
        l,u,it,h,c,b,t = p
        if t.startswith('@T'):
            t = cc.convert(t[2:]); trad += 1
        if l not in LAB or it not in INT or u not in '01': errs.append(f'{f}:{i} code'); continue
        rows.append({'text':t.strip(),'label':LAB[l],'urgent':int(u),'intent':INT[it],'hotline':h,'courtyard':c,'building':b,'_src':f'{os.path.basename(f)}:{i}'})
# checks
texts = collections.Counter(r['text'] for r in rows)
for t,n in texts.items():
    if n>1: errs.append('dup: '+t)
CN = '零一二三四五六七八九十'
def cn(n):
    n=int(n); 
    if n<=10: return [CN[n]] + (['两'] if n==2 else [])
    if n<20: return ['十'+CN[n-10]]
    return [CN[n//10]+'十'+(CN[n%10] if n%10 else '')]
for r in rows:
    if r['label'] not in LAB.values(): errs.append('label '+r['text'])
    if (r['urgent']==1) != (r['hotline']!=''): errs.append('hotline/urgent '+r['text'])
    if r['hotline'] and r['hotline'] not in HOT: errs.append('hotline '+r['text'])
    if r['label']=='其他' and r['urgent']: errs.append('其他 urgent '+r['text'])
    if r['intent'] in ('progress','prelude','smalltalk') and r['label']!='其他': errs.append('intent/label '+r['text'])
    if r['courtyard'] and r['courtyard'] not in canon: errs.append('courtyard '+r['courtyard']+' '+r['text'])
    b=r['building']
    if b:
        if not b.isdigit(): errs.append('bldg '+r['text'])
        else:
            fw=''.join(chr(ord(ch)+0xFEE0) for ch in b)
            pats=[b,fw]+cn(b)
            ok=any(re.search(r'(?<![0-9０-９])'+re.escape(x)+r'\s*(栋|號樓|号楼|幢|棟|-|－)', r['text']) for x in pats) or re.search(r'[Bb]uilding\s*'+b+r'(?!\d)', r['text']) or re.search(r'(?<!\d)'+b+r'号楼|(?<!\d)'+b+r'號樓', r['text'])
            if not ok: errs.append('bldg mismatch '+b+' '+r['text'])
    else:
        tt = re.sub(r'(一共|共有|总共)[一二两三四五六七八九十\d]+(栋|棟)', '', r['text'])
        m = re.search(r'(\d+|[一二两三四五六七八九十]+)\s*(栋|棟|幢|号楼|號樓)', tt) or re.search(r'[Bb]uilding\s*\d', tt)
        if m: errs.append('bldg missing '+r['text'])
print('errors:', len(errs)); [print(' ',e) for e in errs[:60]]
N=len(rows); print('rows', N, 'trad', trad, f'{trad/N:.1%}')
C=collections.Counter
print('label', C(r['label'] for r in rows).most_common())
print('intent', C(r['intent'] for r in rows).most_common())
u=sum(r['urgent'] for r in rows); print('urgent', u, f'{u/N:.1%}')
print('hotline', C(r['hotline'] for r in rows if r['hotline']).most_common())
print('urgent by label', C(r['label'] for r in rows if r['urgent']).most_common())
cy=sum(1 for r in rows if r['courtyard']); print('courtyard named', cy, f'{cy/N:.1%}', 'none', N-cy, f'{(N-cy)/N:.1%}')
print('courtyards', C(r['courtyard'] for r in rows if r['courtyard']).most_common())
lat=[r for r in rows if r['courtyard'] and re.search(r'[A-Za-z]{3,}', r['text'])]
print('courtyard rows with Latin', len(lat), f'{len(lat)/max(cy,1):.1%}')
print('latin rows', sum(1 for r in rows if re.search(r'[A-Za-z]{2,}', r['text'])))
print('short<=8', sum(1 for r in rows if len(r['text'])<=8), 'long>=100', sum(1 for r in rows if len(r['text'])>=100))
print('building', sum(1 for r in rows if r['building']))
if '--write' in sys.argv and not errs:
    random.Random(20261202).shuffle(rows)
    with open(os.path.join(D,'heldout.csv'),'w',encoding='utf-8',newline='') as fh:
        w=csv.DictWriter(fh, fieldnames=['text','label','urgent','intent','hotline','courtyard','building'], extrasaction='ignore')
        w.writeheader(); w.writerows(rows)
    print('written')
