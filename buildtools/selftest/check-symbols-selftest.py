#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors

"""Self-test of check-symbols.py on two fixture libraries.

st_good must pass; st_bad has one mistake per symbol and must fail with a
report naming every one of them.

Usage: check-symbols-selftest.py CHECK_SYMBOLS
       GOOD.so GOOD.a GOOD.map GOOD.h... -- BAD.so BAD.a BAD.map BAD.h...
"""

import subprocess
import sys

# (check section, text) every one of which the bad report must contain
EXPECTED = [
    ('version.map', 'rte_st_bad_stable is in node DPDK_23, not EXPERIMENTAL'),
    ('version.map', 'no "local: *;" catch-all'),
    ('version.map', 'symbols not sorted'),
    ('exported symbols vs version.map', '+ rte_st_bad_unlisted'),
    ('exported symbols vs version.map', '- rte_st_bad_ghost'),
    ('symbol versions', 'rte_st_bad_stable: version DPDK_23'),
    ('symbol versions', 'rte_st_bad_unlisted: version'),
    ('sections', 'st_bad.c.o): in .text, expected .text.experimental'),
    ('headers', 'rte_st_bad_undeclared: exported but not declared'),
    ('headers', 'rte_st_bad_sameline: '),
    ('headers', 'rte_st_bad_untagged: '),
]

# must not be reported: these are correct in the bad library
UNEXPECTED = [
    'rte_st_bad_alpha: version',
    'rte_st_bad_sameline (',
]


def run(script, args):
    p = subprocess.run([sys.executable, script] + args,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, check=False)
    return p.returncode, p.stdout


def section_of(report, text):
    """Name of the [section] under which text is reported, or None."""
    section = None
    for line in report.splitlines():
        if line.startswith('[') and line.endswith(']'):
            section = line[1:-1]
        elif text in line:
            return section
    return None


def main():
    script = sys.argv[1]
    rest = sys.argv[2:]
    sep = rest.index('--')
    good, bad = rest[:sep], rest[sep + 1:]
    ok = True

    def cmd(files):
        so, archive, vmap = files[:3]
        return [so, vmap] + files[3:] + ['--static', archive]

    rc, out = run(script, cmd(good))
    print('--- good library (exit %d)\n%s' % (rc, out))
    if rc != 0:
        print('FAIL: the good fixture must pass')
        ok = False

    rc, out = run(script, cmd(bad))
    print('--- bad library (exit %d)\n%s' % (rc, out))
    if rc != 1:
        print('FAIL: the bad fixture must fail with exit status 1')
        ok = False
    for section, text in EXPECTED:
        got = section_of(out, text)
        if got != section:
            print('FAIL: expected "%s" under [%s], found under %s'
                  % (text, section, got and '[%s]' % got))
            ok = False
    for text in UNEXPECTED:
        if text in out:
            print('FAIL: unexpected report "%s"' % text)
            ok = False

    print('PASS' if ok else 'self-test FAILED')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
