# one-off: apply hand-written courtyard mentions (edits.txt) to the source files
import os, glob
D=os.path.dirname(os.path.abspath(__file__)); S=os.path.join(D,'src')
files={os.path.basename(f).split('_')[0]:f for f in glob.glob(os.path.join(S,'b*_*.txt'))}
data={k:open(f,encoding='utf-8').read().split('\n') for k,f in files.items()}
n=0
for e in open(os.path.join(S,__import__('sys').argv[1]),encoding='utf-8').read().split('\n'):
    if not e.strip(): continue
    ident,canon,bld,mode,phrase=e.split('|',4)
    k,ln=ident.split(':'); ln=int(ln)-1
    p=data[k][ln].split('|',6)
    t=p[6]; tr=t.startswith('@T'); t=t[2:] if tr else t
    if mode[0]=='p': t=phrase+t
    elif mode[0]=='s': t=t+phrase
    else: t=phrase
    if 't' in mode[1:] or tr: t='@T'+t
    p[4]=canon or p[4]
    if bld: p[5]=bld
    p[6]=t; data[k][ln]='|'.join(p); n+=1
for k,f in files.items(): open(f,'w',encoding='utf-8').write('\n'.join(data[k]))
print('applied',n)
