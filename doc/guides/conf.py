# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors

"""Sphinx configuration of the librte_vfio_user guides (a small subset of
DPDK's doc/guides/conf.py)."""

import os

project = 'librte_vfio_user'
copyright = '2026, The librte_vfio_user authors'
version = release = os.environ.get('VFIO_USER_VERSION', '')

master_doc = 'index'
exclude_patterns = ['_build']
highlight_language = 'none'
pygments_style = 'sphinx'
numfig = True

html_theme = 'alabaster'
html_show_sphinx = False
