#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors

"""Check that the documentation and the public headers agree.

Headers (doxygen):
  * every public header has a @file block;
  * every function prototype has a doxygen block right before it, with
    @return unless it returns void, "@b EXPERIMENTAL" when it is
    __rte_experimental, and no @param naming a parameter it does not have.
Guide and other documents (--guide, --mention):
  * every public function is mentioned in the guide;
  * the doxygen index (--api-index) has an @ref to every header, and only
    to those;
  * every rte_vfio_user_* / RTE_VFIO_USER_* / RTE_VUSER_* identifier that
    the guide, the other documents or the headers' own comments mention
    exists in the headers (catches text that outlived a rename), and every
    rte_vfio_user*.h they name is one of the headers.

A function whose parameters are partly documented fails (doxygen's docs
build does); one with no @param at all is listed as a note.

Usage: check-doc.py --guide GUIDE.rst [--mention FILE]... [--mention-dir DIR]...
       [--api-index doxy-api-index.md] HEADER...
Exit status 0 when all checks pass, 1 otherwise, 2 on a read error.
"""

import argparse
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                os.pardir, 'buildtools'))
from c_header_scan import is_type_line, strip_comments  # noqa: E402

MENTION = re.compile(
    r'(?<![\w-])((?:rte_vfio_user|RTE_VFIO_USER|RTE_VUSER)\w*)(\.h\b)?')
COMMENT = re.compile(r'/\*.*?\*/|//[^\n]*', re.S)


def split_params(text):
    """Split a parameter list at top-level commas."""
    parts, depth, cur = [], 0, ''
    for ch in text:
        if ch in '([':
            depth += 1
        elif ch in ')]':
            depth -= 1
        if ch == ',' and depth == 0:
            parts.append(cur)
            cur = ''
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def param_name(p):
    m = re.search(r'\(\s*\*\s*(\w+)\s*\)', p)      # function pointer
    if m:
        return m.group(1)
    p = re.sub(r'\[[^\]]*\]', '', p).strip()        # arrays
    if p in ('void', '...'):
        return None
    m = re.search(r'(\w+)\s*$', p)
    return m.group(1) if m else None


class Proto:
    def __init__(self, path, lineno, name, rettype, params, experimental,
                 doc):
        self.path = path
        self.lineno = lineno
        self.name = name
        self.rettype = rettype
        self.params = params
        self.experimental = experimental
        self.doc = doc


class Header:
    def __init__(self, path):
        self.path = path
        with open(path, encoding='utf-8') as f:
            self.raw = f.read()
        self.code = strip_comments(self.raw)
        self.identifiers = set(re.findall(r'[A-Za-z_]\w*', self.code))
        self.comments = [(self.raw.count('\n', 0, m.start()) + 1, m.group(0))
                         for m in COMMENT.finditer(self.raw)]
        self.protos = self._protos()

    def _doc_before(self, line_idx):
        """Doxygen block ending on the last non-blank line before
        line_idx (0-based), or None."""
        raw_lines = self.raw.splitlines()
        j = line_idx - 1
        while j >= 0 and not raw_lines[j].strip():
            j -= 1
        if j < 0 or not raw_lines[j].rstrip().endswith('*/'):
            return None
        end = j
        while j >= 0 and '/*' not in raw_lines[j]:
            j -= 1
        if j < 0 or '/**' not in raw_lines[j]:
            return None
        return '\n'.join(raw_lines[j:end + 1])

    def _protos(self):
        lines = self.code.splitlines()
        offsets = [0]
        for line in lines:
            offsets.append(offsets[-1] + len(line) + 1)
        protos = []
        in_macro = False
        for i, line in enumerate(lines):
            was_macro = in_macro
            in_macro = line.rstrip().endswith('\\') and (
                was_macro or line.lstrip().startswith('#'))
            if was_macro or line.lstrip().startswith('#'):
                continue
            for m in re.finditer(r'\b(rte_\w+)\s*\(', line):
                before = line[:m.start()]
                if not before.strip():
                    j = i - 1
                    while j >= 0 and not lines[j].strip():
                        j -= 1
                    if j < 0 or not is_type_line(lines[j]):
                        continue
                    rettype, first = lines[j].strip(), j
                elif is_type_line(before):
                    rettype, first = before.strip(), i
                else:
                    continue
                if set(re.findall(r'\w+', rettype)) & {'static', 'inline'}:
                    continue
                experimental = False
                if first > 0 and lines[first - 1].strip() == \
                        '__rte_experimental':
                    experimental = True
                    first -= 1
                if '__rte_experimental' in rettype.split():
                    experimental = True
                    rettype = rettype.replace('__rte_experimental', '')
                    rettype = rettype.strip()
                # parameter list up to the matching parenthesis
                pos = offsets[i] + m.end()
                depth, k = 1, pos
                while k < len(self.code) and depth:
                    depth += {'(': 1, ')': -1}.get(self.code[k], 0)
                    k += 1
                rest = self.code[k:].lstrip()
                if not rest.startswith(';'):
                    continue        # a definition or a call, not a prototype
                params = [param_name(p)
                          for p in split_params(self.code[pos:k - 1])]
                protos.append(Proto(self.path, i + 1, m.group(1), rettype,
                                    [p for p in params if p], experimental,
                                    self._doc_before(first)))
        return protos


class Checker:
    def __init__(self):
        self.errors = []
        self.notes = []

    def error(self, msg):
        self.errors.append(msg)

    def note(self, msg):
        self.notes.append(msg)


def check_header_docs(chk, hdr):
    if '@file' not in hdr.raw:
        chk.error('%s: no @file block' % hdr.path)
    for p in hdr.protos:
        where = '%s:%d: %s()' % (p.path, p.lineno, p.name)
        if p.doc is None:
            chk.error('%s: no doxygen comment (/** ... */) before it' % where)
            continue
        if p.rettype != 'void' and not re.search(r'[@\\]ret(urn|val)\b',
                                                 p.doc):
            chk.error('%s: returns %s but its comment has no @return'
                      % (where, p.rettype))
        if p.experimental and '@b EXPERIMENTAL' not in p.doc:
            chk.error('%s: __rte_experimental but its comment lacks '
                      '"@warning @b EXPERIMENTAL: ..."' % where)
        documented = re.findall(r'[@\\]param(?:\[[a-z, ]+\])?\s+(\w+)',
                                p.doc)
        for name in documented:
            if name not in p.params:
                chk.error('%s: @param %s is not a parameter (has: %s)'
                          % (where, name, ', '.join(p.params) or 'none'))
        missing = [n for n in p.params if n not in documented]
        if missing and documented:
            # doxygen (WARN_IF_INCOMPLETE_DOC) fails the docs build on this
            chk.error('%s: @param for some parameters but not for %s'
                      % (where, ', '.join(missing)))
        elif missing:
            chk.note('%s: no @param for %s' % (where, ', '.join(missing)))


def mentions(text):
    """Yield (line number, identifier, is_header_name) in text."""
    for lineno, line in enumerate(text.splitlines(), 1):
        for m in MENTION.finditer(line):
            ident = m.group(1)
            if ident.endswith('_'):
                continue            # a prefix such as "rte_vfio_user_*"
            yield lineno, ident, m.group(2) is not None


def check_mentions(chk, path, text, known, header_names, first_line=1):
    for lineno, ident, is_header in mentions(text):
        where = '%s:%d' % (path, lineno + first_line - 1)
        if is_header:
            if ident + '.h' not in header_names:
                chk.error('%s: names header %s.h, not one of %s'
                          % (where, ident, ', '.join(sorted(header_names))))
        elif ident not in known and ident not in ('rte_vfio_user',
                                                   'RTE_VFIO_USER'):
            chk.error('%s: %s does not exist in the headers' % (where, ident))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('headers', nargs='+')
    ap.add_argument('--guide', required=True)
    ap.add_argument('--mention', action='append', default=[],
                    help='another document whose identifiers must exist')
    ap.add_argument('--mention-dir', action='append', default=[],
                    help='a directory whose *.rst files (recursively) are '
                    'checked like --mention')
    ap.add_argument('--api-index',
                    help='doxygen index (doxy-api-index.md) that must '
                    '@ref every header and only those')
    ap.add_argument('--quiet', action='store_true',
                    help='do not print notes')
    args = ap.parse_args()

    chk = Checker()
    try:
        headers = [Header(h) for h in args.headers]
        with open(args.guide, encoding='utf-8') as f:
            guide = f.read()
        index = None
        if args.api_index:
            with open(args.api_index, encoding='utf-8') as f:
                index = f.read()
        others = []
        mention = list(args.mention)
        for d in args.mention_dir:
            for dirpath, _, names in sorted(os.walk(d)):
                mention += [os.path.join(dirpath, n) for n in sorted(names)
                            if n.endswith('.rst') and
                            os.path.realpath(os.path.join(dirpath, n)) !=
                            os.path.realpath(args.guide)]
        for path in mention:
            with open(path, encoding='utf-8') as f:
                others.append((path, f.read()))
    except OSError as e:
        print('check-doc.py: %s' % e, file=sys.stderr)
        return 2

    known = set()
    for h in headers:
        known |= h.identifiers
    header_names = {os.path.basename(h.path) for h in headers}

    for h in headers:
        check_header_docs(chk, h)
        for lineno, comment in h.comments:
            check_mentions(chk, h.path, comment, known, header_names, lineno)

    guide_words = set(re.findall(r'\w+', guide))
    for h in headers:
        for p in h.protos:
            if p.name not in guide_words:
                chk.error('%s: %s() is not described in the guide'
                          % (args.guide, p.name))
    check_mentions(chk, args.guide, guide, known, header_names)
    for path, text in others:
        check_mentions(chk, path, text, known, header_names)

    if index is not None:
        refs = set(re.findall(r'@ref\s+([\w.]+\.h)\b', index))
        for name in sorted(header_names - refs):
            chk.error('%s: no "@ref %s" entry' % (args.api_index, name))
        for name in sorted(refs - header_names):
            chk.error('%s: "@ref %s" is not a public header'
                      % (args.api_index, name))

    nprotos = sum(len(h.protos) for h in headers)
    if not args.quiet:
        for n in chk.notes:
            print('note: ' + n)
    if chk.errors:
        for e in chk.errors:
            print('error: ' + e, file=sys.stderr)
        print('check-doc.py: %d error(s)' % len(chk.errors), file=sys.stderr)
        return 1
    print('check-doc.py: OK: %d functions in %d headers documented and '
          'described in %s; %d note(s)'
          % (nprotos, len(headers), os.path.basename(args.guide),
             len(chk.notes)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
