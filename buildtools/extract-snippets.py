#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors

"""Extract the C code blocks of a reST guide into one C file.

Every ``.. code-block:: c`` block of the guide is copied, in order, into
OUTPUT with a #line directive pointing back at the guide, so that compiling
OUTPUT checks the examples against the real headers and a compiler error
names the guide's line. The blocks must therefore form a valid translation
unit when put one after the other (they include what they use).

Usage: extract-snippets.py GUIDE.rst OUTPUT.c
"""

import re
import sys

DIRECTIVE = re.compile(r'^(\s*)\.\.\s+code-block::\s*[cC]\s*$')


def blocks(lines):
    """Yield (first line number, [lines]) of each C code block."""
    i = 0
    while i < len(lines):
        m = DIRECTIVE.match(lines[i])
        i += 1
        if m is None:
            continue
        indent = len(m.group(1))
        # skip directive options (":linenos:") and blank lines
        while i < len(lines) and (lines[i].strip() == '' or
                                  re.match(r'^\s+:\w[\w-]*:', lines[i])):
            i += 1
        start = i
        body = []
        while i < len(lines):
            line = lines[i]
            if line.strip() and len(line) - len(line.lstrip()) <= indent:
                break
            body.append(line)
            i += 1
        while body and not body[-1].strip():
            body.pop()
        if not body:
            continue
        pad = min(len(b) - len(b.lstrip()) for b in body if b.strip())
        yield start + 1, [b[pad:] if b.strip() else '' for b in body]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    guide, output = sys.argv[1], sys.argv[2]
    with open(guide, encoding='utf-8') as f:
        lines = f.read().splitlines()
    out = ['/* Generated from %s by extract-snippets.py: do not edit. */'
           % guide]
    count = 0
    for lineno, body in blocks(lines):
        out.append('#line %d "%s"' % (lineno, guide))
        out.extend(body)
        count += 1
    if count == 0:
        sys.exit('extract-snippets.py: no C code block in %s' % guide)
    with open(output, 'w', encoding='utf-8') as f:
        f.write('\n'.join(out) + '\n')


if __name__ == '__main__':
    main()
