"""Assemble heldout.csv from hand-written src/*.txt lines.
Line format: LABEL INTENT [HOTLINE [CY [BLD [T]]]]|text   ('-' = empty; T = convert whole text to Traditional with OpenCC)."""
import csv, glob, re, sys, collections, unicodedata
import yaml
L = {'城':'城乡建设','环':'环境保护','交':'交通运输','教':'教育文体','劳':'劳动和社会保障','商':'商贸旅游','卫':'卫生计生','其':'其他'}
I = {'c':'complaint','s':'smalltalk','p':'progress','r':'prelude','q':'question'}
CY = {'LZ':'粮站院子','GX':'供销社宿舍','SD':'水电局小区','HL':'回龙湾小区','CZ':'翠竹苑','NJ':'农机厂宿舍','BH':'滨河花园',
      'CM':'川棉厂宿舍','JX':'锦绣家园','SW':'税务局院子','WS':'卫生院家属院','XF':'学府名居','LH':'梨花苑','YJ':'老邮局院子','WJ':'望江小区'}
HOT = {'119','120','110','122','95598','燃气','供水'}
try:
    import opencc; cc = opencc.OpenCC('s2t')
except Exception: cc = None
rows = []
for fn in sorted(glob.glob('src/*.txt')):
    for n, line in enumerate(open(fn, encoding='utf-8'), 1):
        line = line.rstrip('\n')
        if not line.strip(): continue
        left, text = line.split('|', 1)
        f = left.split()
        flag = 'T' if 'T' in f else '-'
        f = [x for x in f if x != 'T'] + ['-'] * 6
        lab, it, hot, cy, bld = f[:5]
        if flag == 'T':
            text = cc.convert(text)
        g = lambda x: '' if x == '-' else x
        rows.append(dict(text=text.strip(), label=L[lab], urgent='1' if g(hot) else '0', intent=I[it], hotline=g(hot),
                         courtyard=CY[cy] if g(cy) else '', building=g(bld), _src=f'{fn}:{n}', _trad=flag=='T'))
with open('heldout.csv', 'w', encoding='utf-8', newline='') as fh:
    w = csv.DictWriter(fh, fieldnames=['text','label','urgent','intent','hotline','courtyard','building'], extrasaction='ignore')
    w.writeheader(); w.writerows(rows)
print('rows', len(rows), 'traditional', sum(r['_trad'] for r in rows))
