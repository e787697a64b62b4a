#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors

"""Check that the RTE_EXPORT_* lines of a library's sources and its
version.map export the same symbols in the same nodes.

DPDK 25.07 and later generate the linker map from RTE_EXPORT_SYMBOL,
RTE_EXPORT_EXPERIMENTAL_SYMBOL(sym, ver) and RTE_EXPORT_INTERNAL_SYMBOL
lines (buildtools/gen-version-map.py, same regular expressions); older
releases and the out-of-tree build use version.map. For an experimental
symbol the version must be the map's "# added in" group.

Usage: check-exports.py version.map SOURCE.c...
Exit status 0 when both lists agree, 1 otherwise (differences on stderr).
"""

import re
import sys

EXP = re.compile(r"^RTE_EXPORT_EXPERIMENTAL_SYMBOL\(([^,]+), ([0-9]+.[0-9]+)\)")
INT = re.compile(r"^RTE_EXPORT_INTERNAL_SYMBOL\(([^)]+)\)")
STD = re.compile(r"^RTE_EXPORT_SYMBOL\(([^)]+)\)")


def from_map(path):
    syms = {}
    node = None
    ver = ''
    for ln in open(path, encoding='utf-8'):
        m = re.match(r'^(\w+)\s*\{', ln)
        if m:
            node = 'STABLE' if m.group(1).startswith('DPDK_') else m.group(1)
            ver = ''
            continue
        m = re.match(r'^\s*# added in (\S+)', ln)
        if m:
            ver = m.group(1)
            continue
        m = re.match(r'^\s*(\w+);', ln)
        if m and node is not None:
            syms[m.group(1)] = (node, ver if node == 'EXPERIMENTAL' else '')
    return syms


def from_sources(paths):
    syms = {}
    for path in paths:
        for ln in open(path, encoding='utf-8'):
            m = EXP.match(ln)
            if m:
                syms[m.group(1)] = ('EXPERIMENTAL', m.group(2))
                continue
            m = INT.match(ln)
            if m:
                syms[m.group(1)] = ('INTERNAL', '')
                continue
            m = STD.match(ln)
            if m:
                syms[m.group(1)] = ('STABLE', '')
    return syms


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    in_map = from_map(sys.argv[1])
    in_src = from_sources(sys.argv[2:])
    bad = 0
    for sym in sorted(set(in_map) | set(in_src)):
        a = in_map.get(sym)
        b = in_src.get(sym)
        if a == b:
            continue
        bad += 1
        print('%s: version.map %s, RTE_EXPORT_* %s' %
              (sym, a or 'absent', b or 'absent'), file=sys.stderr)
    if bad:
        print('%d symbol(s) differ' % bad, file=sys.stderr)
        return 1
    print('%d symbols exported alike' % len(in_map))
    return 0


if __name__ == '__main__':
    sys.exit(main())
