#!/usr/bin/env python3
"""`python docs/check_links.py`: every Markdown link and image in README.md and docs/*.md must
resolve — a relative target exists inside the repository, an #anchor names a heading of the
target file — and nothing in README.md points outside the repository. Exit 1 if one does not."""
import glob, os, re, sys, unicodedata
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(root)
files = ['README.md'] + sorted(glob.glob('docs/**/*.md', recursive=True))
link = re.compile(r'!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+"[^"]*")?\)|<(https?://[^>]+)>')

def strip_code(text):
    text = re.sub(r'^```.*?^```', '', text, flags=re.S | re.M)
    return re.sub(r'`[^`\n]*`', '', text)

def slugs(path):
    out = set(); seen = {}
    for line in open(path, encoding='utf-8'):
        m = re.match(r'^(#{1,6})\s+(.*?)\s*#*\s*$', line)
        if not m: continue
        t = re.sub(r'[`*_]', '', m.group(2)).lower()
        t = ''.join(c for c in t if c.isalnum() or c in ' -_' or unicodedata.category(c).startswith('L'))
        s = t.replace(' ', '-')
        n = seen.get(s, 0); seen[s] = n + 1
        out.add(s if n == 0 else f'{s}-{n}')
    return out

bad = 0; count = 0
for f in files:
    text = strip_code(open(f, encoding='utf-8').read())
    for m in link.finditer(text):
        target = m.group(1) or m.group(2); count += 1
        if re.match(r'^[a-z]+:', target):
            if f == 'README.md':
                print(f'{f}: points outside the repository: {target}'); bad += 1
            continue
        path, _, anchor = target.partition('#')
        dest = os.path.normpath(os.path.join(os.path.dirname(f), path)) if path else f
        if not os.path.abspath(dest).startswith(root + os.sep):
            print(f'{f}: outside the repository: {target}'); bad += 1; continue
        if not os.path.exists(dest):
            print(f'{f}: missing: {target}'); bad += 1; continue
        if anchor and (not dest.endswith('.md') or anchor not in slugs(dest)):
            print(f'{f}: no heading #{anchor} in {dest}'); bad += 1
print(f'{count} links in {len(files)} files, {bad} broken')
sys.exit(1 if bad else 0)
