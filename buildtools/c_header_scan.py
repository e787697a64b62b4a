# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors

"""Line-level scanning of C headers, shared by buildtools/check-symbols.py
and devtools/check-doc.py: both find the declarations of a public header
(a return type on the line before the name, as DPDK writes them)."""

import re

C_KEYWORDS = {'return', 'if', 'else', 'while', 'for', 'do', 'switch', 'case',
              'goto', 'sizeof', 'typedef', 'default', 'break', 'continue'}
TYPE_LINE = re.compile(r'^\s*(?:(?:[A-Za-z_]\w*)\s*|\*\s*)+$')


def strip_comments(text):
    """Blank out comments and string literals, keeping line structure and
    offsets."""
    def blank(m):
        return re.sub(r'[^\n]', ' ', m.group(0))
    pattern = r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\''
    return re.sub(pattern, blank, text, flags=re.S)


def is_type_line(s):
    """Is s a line of type words alone (the return type of a declaration)?"""
    if not s.strip() or not TYPE_LINE.match(s):
        return False
    return not any(w in C_KEYWORDS for w in re.findall(r'[A-Za-z_]\w*', s))
