#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors
#
# Check MAINTAINERS (like DPDK's devtools/check-maintainers.sh): every F: and
# X: pattern must match at least one file of the tree, and every entry must
# have a maintainer (M:) and at least one F: line.

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
file=MAINTAINERS
errors=0
sections=0

check_pattern()
{
	local pattern=$1 m
	# unquoted on purpose: wildcards expand (nullglob below)
	# shellcheck disable=SC2206
	local matches=(${pattern%/})
	for m in "${matches[@]}"; do
		if [[ $pattern == */ ]]; then
			[ -d "$m" ] && return 0
		else
			[ -e "$m" ] && return 0
		fi
	done
	return 1
}

# check_entry TITLE HAS_M HAS_F
check_entry()
{
	[ -z "$1" ] && return 0
	sections=$((sections + 1))
	if [ "$2" -eq 0 ]; then
		echo "$file: \"$1\" has no M: line"
		errors=$((errors + 1))
	fi
	if [ "$3" -eq 0 ]; then
		echo "$file: \"$1\" has no F: line"
		errors=$((errors + 1))
	fi
}

shopt -s nullglob
title='' prev='' has_m=0 has_f=0 lineno=0 started=0
while IFS= read -r line; do
	lineno=$((lineno + 1))
	# entries start after the header that explains the tags
	[[ $line == 'General Project Administration' ]] && started=1
	[ "$started" -eq 0 ] && continue
	case $line in
	[MTFXK]:\ *)
		if [ -z "$title" ]; then
			title=$prev
			has_m=0
			has_f=0
		fi
		tag=${line%%:*}
		value=${line#*: }
		case $tag in
		M) has_m=1 ;;
		F | X)
			[ "$tag" = F ] && has_f=1
			if ! check_pattern "$value"; then
				echo "$file:$lineno: $tag: $value matches no file"
				errors=$((errors + 1))
			fi
			;;
		esac
		;;
	'')
		check_entry "$title" "$has_m" "$has_f"
		title=
		;;
	esac
	prev=$line
done < "$file"
check_entry "$title" "$has_m" "$has_f"

echo "$sections entries checked, $errors problem(s)"
[ "$errors" -eq 0 ]
