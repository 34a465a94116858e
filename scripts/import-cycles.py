#!/usr/bin/env python3
"""Finds import cycles between the files of the workspace's crates: files are nodes, every
`crate::`, `super::` and `child::` path outside comments an arrow. Prints each cycle and exits 1 when there is
one (scripts/test.sh runs it). A heuristic reader of Rust, not a compiler: it reads paths, not
name resolution, and skips `mod tests`."""
import os, re, sys
root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
def modfile(crate_src, parts):
    # resolve a module path to a file
    p = crate_src
    for i, part in enumerate(parts):
        cand_dir = os.path.join(p, part)
        if os.path.isfile(cand_dir + '.rs'):
            f = cand_dir + '.rs'; p = cand_dir
        elif os.path.isfile(os.path.join(cand_dir, 'mod.rs')):
            f = os.path.join(cand_dir, 'mod.rs'); p = cand_dir
        else:
            return None
        last = f
    return last
edges = {}
for crate in sorted(os.listdir(os.path.join(root, 'crates'))):
    src = os.path.join(root, 'crates', crate, 'src')
    for dp, _, fs in os.walk(src):
        for fn in fs:
            if not fn.endswith('.rs'): continue
            f = os.path.join(dp, fn)
            text = open(f).read()
            text = re.sub(r'#\[cfg\(test\)\]\s*mod tests \{.*', '', text, flags=re.S)
            # Comments (doc links included) import nothing.
            text = re.sub(r'//[^\n]*', '', text)
            # module dir of this file
            rel = os.path.relpath(f, src)
            mod_parts = rel[:-3].split('/')
            if mod_parts[-1] in ('mod', 'lib', 'main'): mod_parts = mod_parts[:-1]
            tgt = set()
            for m in re.finditer(r'\bcrate::((?:[a-z_0-9]+::)*[a-z_0-9]+)', text):
                parts = m.group(1).split('::')
                for k in range(len(parts), 0, -1):
                    t = modfile(src, parts[:k])
                    if t: tgt.add(t); break
            if re.search(r'\bsuper::\{', text):
                base = mod_parts[:-1]
                t = modfile(src, base) if base else os.path.join(src, 'lib.rs')
                if t: tgt.add(t)
            for m in re.finditer(r'\bcrate::\{([^}]*)\}', text):
                for name in re.findall(r'([a-z_0-9]+)(?:::|\s*,|\s*$)', m.group(1)):
                    t = modfile(src, [name])
                    if t: tgt.add(t)
                if re.search(r'\b[A-Z]', m.group(1)): tgt.add(os.path.join(src, 'lib.rs'))
            for m in re.finditer(r'\bsuper::((?:[a-z_0-9]+::)*[a-zA-Z_0-9]+)', text):
                base = mod_parts[:-1]
                parts = m.group(1).split('::')
                t = None
                for k in range(len(parts), -1, -1):
                    t = modfile(src, base + parts[:k]) if base + parts[:k] else os.path.join(src, 'lib.rs')
                    if t: break
                if t: tgt.add(t)
            # child module references from a parent: `child::X` where child is a declared mod
            for m in re.finditer(r'^\s*(?:pub(?:\([a-z]+\))? )?mod ([a-z_0-9]+);', text, flags=re.M):
                child = m.group(1)
                if re.search(r'\b' + child + r'::', text):
                    t = modfile(src, mod_parts + [child])
                    if t: tgt.add(t)
            tgt.discard(f)
            edges[f] = tgt
# find cycles
sys.setrecursionlimit(10000)
index = {}; low = {}; st = []; on = set(); sccs = []; c = [0]
def sc(v):
    index[v] = low[v] = c[0]; c[0] += 1; st.append(v); on.add(v)
    for w in edges.get(v, ()):
        if w not in index: sc(w); low[v] = min(low[v], low[w])
        elif w in on: low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = st.pop(); on.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: sccs.append(comp)
for v in list(edges):
    if v not in index: sc(v)
for comp in sccs:
    print('CYCLE:', ' '.join(os.path.relpath(x, root) for x in comp))
if sccs:
    sys.exit(1)
