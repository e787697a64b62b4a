#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors

"""Check a library's exported symbols against its version.map and headers.

The pyelftools counterpart of DPDK's buildtools/check-symbols.sh and
devtools/check-symbol-maps.sh, for a library whose whole API is
experimental. It checks that:

 1. the shared library's dynamic symbols (defined, global or weak, not the
    version-node symbols) are exactly the global symbols of version.map;
 2. each of them carries the symbol version of the EXPERIMENTAL node
    (.gnu.version / .gnu.version_d), and no map symbol sits in another node;
 3. each exported function is compiled into section .text.experimental,
    which is what __rte_experimental does (checked in the static archive's
    objects, because the linker merges .text.* into .text in the .so);
 4. each exported symbol is declared in one of the public headers, a
    function with __rte_experimental alone on the line before its return
    type; and each function prototyped in a public header is exported;
 5. version.map is well formed: symbols sorted and unique within each group
    (a group ends at a comment line), and a "local: *;" catch-all exists.

Usage: check-symbols.py [--static LIB.a] [--node NAME] LIB.so version.map
       HEADER...

Exit status 0 when every check passes, 1 otherwise (with a report on
stderr), 2 on a usage or read error.
"""

import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from c_header_scan import is_type_line, strip_comments  # noqa: E402

try:
    from elftools.elf.elffile import ELFFile
    from elftools.common.exceptions import ELFError
except ImportError:
    sys.exit('check-symbols.py: the Python module "elftools" is missing '
             '(Debian: apt-get install python3-pyelftools; run it with '
             '/usr/bin/python3)')


class Report:
    """Collects failures per check, prints them grouped."""

    def __init__(self):
        self.failures = []

    def fail(self, check, msg):
        self.failures.append((check, msg))

    def print(self, out):
        last = None
        for check, msg in self.failures:
            if check != last:
                print('\n[%s]' % check, file=out)
                last = check
            print('  ' + msg, file=out)


# ---------------------------------------------------------------------------
# version.map

class MapSymbol:
    def __init__(self, name, node, scope, group, lineno):
        self.name = name
        self.node = node
        self.scope = scope
        self.group = group
        self.lineno = lineno


def parse_map(path):
    """Return (symbols, nodes, has_local_wildcard) of a GNU version script."""
    symbols = []
    nodes = []
    has_local_star = False
    node = None
    scope = None
    group = 0
    with open(path, encoding='utf-8') as f:
        lines = f.read().splitlines()
    for lineno, raw in enumerate(lines, 1):
        line = raw.split('#', 1)[0].strip()
        if raw.strip().startswith('#'):
            group += 1          # a comment starts a new sorted group
            continue
        if not line:
            continue
        m = re.match(r'^([A-Za-z_][\w.]*)\s*\{$', line)
        if m:
            node = m.group(1)
            nodes.append(node)
            scope = None
            group += 1
            continue
        if re.match(r'^\}\s*[\w.]*\s*;$', line):
            node = None
            continue
        m = re.match(r'^(global|local)\s*:\s*(.*)$', line)
        if m:
            scope = m.group(1)
            group += 1
            line = m.group(2).strip()
            if not line:
                continue
        if node is None or scope is None:
            raise ValueError('%s:%d: unexpected "%s"' % (path, lineno, raw))
        for item in filter(None, (s.strip() for s in line.split(';'))):
            if scope == 'local':
                if item == '*':
                    has_local_star = True
                continue
            symbols.append(MapSymbol(item, node, scope, group, lineno))
    return symbols, nodes, has_local_star


def check_map(rep, map_path, map_syms, has_local_star, node_name):
    check = 'version.map'
    seen = {}
    for s in map_syms:
        if s.name in seen:
            rep.fail(check, '%s:%d: %s already listed at line %d'
                     % (map_path, s.lineno, s.name, seen[s.name]))
        seen.setdefault(s.name, s.lineno)
        if s.node != node_name:
            rep.fail(check, '%s:%d: %s is in node %s, not %s'
                     % (map_path, s.lineno, s.name, s.node, node_name))
        if any(c in s.name for c in '*?['):
            rep.fail(check, '%s:%d: wildcard "%s" in a global list'
                     % (map_path, s.lineno, s.name))
    if not has_local_star:
        rep.fail(check, '%s: no "local: *;" catch-all' % map_path)

    groups = {}
    for s in map_syms:
        groups.setdefault(s.group, []).append(s)
    for syms in groups.values():
        names = [s.name for s in syms]
        want = sorted(names)
        if names != want:
            rep.fail(check, '%s:%d: symbols not sorted; expected order:'
                     % (map_path, syms[0].lineno))
            for have, exp in zip(names, want):
                mark = ' ' if have == exp else '!'
                rep.fail(check, '  %s %-40s (want %s)' % (mark, have, exp))


# ---------------------------------------------------------------------------
# shared library

def symbol_versions(elf):
    """Map dynsym index -> version name (None when unversioned)."""
    versym = elf.get_section_by_name('.gnu.version')
    verdef = elf.get_section_by_name('.gnu.version_d')
    names = {}
    if verdef is not None:
        for vd, aux in verdef.iter_versions():
            aux = list(aux)
            if aux:
                names[vd['vd_ndx']] = aux[0].name
    result = {}
    if versym is None:
        return result, set(names.values())
    for i in range(versym.num_symbols()):
        ndx = versym.get_symbol(i)['ndx']
        if isinstance(ndx, str):            # VER_NDX_LOCAL / VER_NDX_GLOBAL
            result[i] = None
            continue
        result[i] = names.get(ndx & 0x7fff)
    return result, set(names.values())


def exported_symbols(path):
    """Return {name: (type, version)} of the defined dynamic symbols."""
    with open(path, 'rb') as f:
        elf = ELFFile(f)
        dynsym = elf.get_section_by_name('.dynsym')
        if dynsym is None:
            raise ValueError('%s has no .dynsym' % path)
        versions, node_names = symbol_versions(elf)
        out = {}
        for i, sym in enumerate(dynsym.iter_symbols()):
            if not sym.name:
                continue
            shndx = sym['st_shndx']
            bind = sym['st_info']['bind']
            stype = sym['st_info']['type']
            if shndx == 'SHN_UNDEF' or bind not in ('STB_GLOBAL', 'STB_WEAK'):
                continue
            if sym['st_other']['visibility'] in ('STV_HIDDEN',
                                                 'STV_INTERNAL'):
                continue
            # version definitions appear as absolute symbols named after
            # the node (EXPERIMENTAL, DPDK_23, the soname)
            if shndx == 'SHN_ABS' and sym.name in node_names:
                continue
            if stype in ('STT_SECTION', 'STT_FILE'):
                continue
            out[sym.name] = (stype, versions.get(i))
        return out


# ---------------------------------------------------------------------------
# static archive: which section each global function lives in

def ar_members(path):
    """Yield (member name, bytes) of the objects of a System V/GNU archive."""
    with open(path, 'rb') as f:
        data = f.read()
    thin = data.startswith(b'!<thin>\n')
    if not thin and not data.startswith(b'!<arch>\n'):
        raise ValueError('%s is not an ar archive' % path)
    pos = 8
    longnames = b''
    while pos + 60 <= len(data):
        hdr = data[pos:pos + 60]
        name = hdr[0:16].decode('ascii', 'replace').rstrip()
        size = int(hdr[48:58].decode('ascii').strip())
        pos += 60
        if name in ('/', '/SYM64/'):            # symbol index
            body = data[pos:pos + size]
        elif name == '//':                      # long name table
            body = data[pos:pos + size]
            longnames = body
        else:
            if name.startswith('/') and name[1:].isdigit():
                off = int(name[1:])
                end = longnames.index(b'\n', off)
                name = longnames[off:end].decode('utf-8', 'replace')
            name = name.rstrip('/')
            if thin:
                member = os.path.join(os.path.dirname(path), name)
                with open(member, 'rb') as m:
                    body = m.read()
                size = 0                        # thin: no body in archive
            else:
                body = data[pos:pos + size]
            yield name, body
            pos += size + (size & 1)
            continue
        pos += size + (size & 1)


def function_sections(archive):
    """Return {function name: (section name, member)} of global functions."""
    import io
    out = {}
    for member, body in ar_members(archive):
        if not body.startswith(b'\x7fELF'):
            continue
        elf = ELFFile(io.BytesIO(body))
        symtab = elf.get_section_by_name('.symtab')
        if symtab is None:
            raise ValueError('%s(%s) has no symbol table (LTO object?)'
                             % (archive, member))
        for sym in symtab.iter_symbols():
            if sym['st_info']['type'] != 'STT_FUNC':
                continue
            if sym['st_info']['bind'] not in ('STB_GLOBAL', 'STB_WEAK'):
                continue
            shndx = sym['st_shndx']
            if not isinstance(shndx, int):
                continue
            out[sym.name] = (elf.get_section(shndx).name, member)
    return out


def default_archive(shared):
    """libfoo.so.23.0 -> libfoo.a next to it."""
    d, base = os.path.split(shared)
    m = re.match(r'^(.*?\.)so(\..*)?$', base)
    if m is None:
        return None
    cand = os.path.join(d, m.group(1) + 'a')
    return cand if os.path.exists(cand) else None


# ---------------------------------------------------------------------------
# headers

INLINE_WORDS = {'static', 'inline', '__rte_always_inline'}


class Decl:
    def __init__(self, name, path, lineno, kind, rettype, tag_ok, inline):
        self.name = name
        self.path = path
        self.lineno = lineno
        self.kind = kind            # 'func' or 'object'
        self.rettype = rettype
        self.tag_ok = tag_ok        # __rte_experimental alone on line before
        self.inline = inline


def header_decls(path, prefix='rte_'):
    """Find function prototypes and extern objects named prefix* in a
    header. Returns a list of Decl."""
    with open(path, encoding='utf-8') as f:
        raw = f.read()
    code = strip_comments(raw).splitlines()
    decls = []
    in_macro = False
    for i, line in enumerate(code):
        was_macro = in_macro
        in_macro = line.rstrip().endswith('\\') and (
            was_macro or line.lstrip().startswith('#'))
        if was_macro or line.lstrip().startswith('#'):
            continue
        for m in re.finditer(r'\b(%s\w*)\s*\(' % re.escape(prefix), line):
            before = line[:m.start()]
            if before.strip() == '':
                # name at column 0: the return type is the previous line
                j = i - 1
                while j >= 0 and code[j].strip() == '':
                    j -= 1
                if j < 0 or not is_type_line(code[j]):
                    continue
                rettype = code[j].strip()
                tag_line = j - 1
            elif is_type_line(before):
                rettype = before.strip()
                tag_line = i - 1
            else:
                continue
            if rettype == '__rte_experimental':
                # tag present but no return type line of its own
                tag_ok = False
            else:
                tag_ok = (tag_line >= 0 and
                          code[tag_line].strip() == '__rte_experimental')
            words = set(re.findall(r'\w+', rettype))
            inline = bool(words & INLINE_WORDS)
            if not inline and tag_line >= 0:
                inline = bool(set(re.findall(r'\w+', code[tag_line]))
                              & INLINE_WORDS)
            decls.append(Decl(m.group(1), path, i + 1, 'func', rettype,
                              tag_ok, inline))
        m = re.match(r'^\s*extern\b[^;(]*?\b(%s\w*)\s*(?:\[[^\]]*\])?\s*;'
                     % re.escape(prefix), line)
        if m:
            decls.append(Decl(m.group(1), path, i + 1, 'object', None,
                              True, False))
    return decls


# ---------------------------------------------------------------------------

def diff_sets(rep, check, left_name, left, right_name, right):
    for name in sorted(left - right):
        rep.fail(check, '+ %-40s in %s, not in %s'
                 % (name, left_name, right_name))
    for name in sorted(right - left):
        rep.fail(check, '- %-40s in %s, not in %s'
                 % (name, right_name, left_name))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('shared', help='the shared library (.so)')
    ap.add_argument('map', help='the version.map it was linked with')
    ap.add_argument('headers', nargs='+', help='public headers')
    ap.add_argument('--static', dest='archive',
                    help='static archive built from the same sources '
                    '(default: lib<name>.a next to the .so)')
    ap.add_argument('--node', default='EXPERIMENTAL',
                    help='version node every symbol must belong to')
    ap.add_argument('--section', default='.text.experimental',
                    help='section every exported function must be in')
    args = ap.parse_args()

    rep = Report()
    try:
        map_syms, _, has_local_star = parse_map(args.map)
        exported = exported_symbols(args.shared)
        archive = args.archive or default_archive(args.shared)
        if archive is None:
            raise ValueError('no static archive next to %s; pass --static'
                             % args.shared)
        sections = function_sections(archive)
        decls = []
        for h in args.headers:
            decls += header_decls(h)
    except (OSError, ValueError, ELFError) as e:
        print('check-symbols.py: %s' % e, file=sys.stderr)
        return 2

    so_name = os.path.basename(args.shared)
    map_name = os.path.basename(args.map)

    # 1. exports == map
    check_map(rep, args.map, map_syms, has_local_star, args.node)
    map_names = {s.name for s in map_syms}
    diff_sets(rep, 'exported symbols vs version.map',
              so_name, set(exported), map_name, map_names)

    # 2. symbol versions
    for name, (stype, ver) in sorted(exported.items()):
        if ver != args.node:
            rep.fail('symbol versions', '%s: version %s, expected %s'
                     % (name, ver or '(none)', args.node))

    # 3. sections
    for name, (stype, ver) in sorted(exported.items()):
        if stype not in ('STT_FUNC', 'STT_GNU_IFUNC', 'STT_LOOS'):
            continue
        if name not in sections:
            rep.fail('sections', '%s: not a global function of %s'
                     % (name, os.path.basename(archive)))
            continue
        sec, member = sections[name]
        if sec != args.section:
            rep.fail('sections', '%s (%s): in %s, expected %s (missing '
                     '__rte_experimental on the definition\'s declaration?)'
                     % (name, member, sec, args.section))

    # 4. headers
    by_name = {}
    for d in decls:
        if not d.inline:
            by_name.setdefault(d.name, []).append(d)
    hdr_names = ', '.join(os.path.basename(h) for h in args.headers)
    for name, (stype, ver) in sorted(exported.items()):
        if name not in by_name:
            rep.fail('headers', '%s: exported but not declared in %s'
                     % (name, hdr_names))
            continue
        for d in by_name[name]:
            where = '%s:%d' % (d.path, d.lineno)
            if d.kind == 'func' and stype == 'STT_OBJECT':
                rep.fail('headers', '%s: %s declares a function, the '
                         'library exports an object' % (name, where))
            elif d.kind == 'object' and stype == 'STT_FUNC':
                rep.fail('headers', '%s: %s declares an object, the '
                         'library exports a function' % (name, where))
            elif d.kind == 'func' and not d.tag_ok:
                rep.fail('headers', '%s: %s: __rte_experimental must be '
                         'alone on the line before the return type "%s"'
                         % (name, where, d.rettype))
    for name, ds in sorted(by_name.items()):
        if name not in exported:
            d = ds[0]
            rep.fail('headers', '%s: declared at %s:%d but not exported'
                     % (name, d.path, d.lineno))

    if rep.failures:
        print('check-symbols.py: %s FAILED' % so_name, file=sys.stderr)
        rep.print(sys.stderr)
        print('\n%d problem(s)' % len(rep.failures), file=sys.stderr)
        return 1
    nfunc = sum(1 for t, _ in exported.values() if t == 'STT_FUNC')
    print('check-symbols.py: %s OK: %d symbols (%d functions) in %s, '
          'all in %s, declared in %s'
          % (so_name, len(exported), nfunc, args.node, args.section,
             hdr_names))
    return 0


if __name__ == '__main__':
    sys.exit(main())
