/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/* Results of the checks: the text lines, the summary and the JSON report. */

#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "conform.h"

static const char * const res_names[] = {
	[VUC_PASS] = "PASS",
	[VUC_FAIL] = "FAIL",
	[VUC_SKIP] = "SKIP",
};

/* A name is selected by --only NAME when NAME is a glob matching it or
 * one of its dotted prefixes ("bad" selects "bad.region_index"). */
bool
vuc_selected(const struct vuc_ctx *c, const char *name)
{
	int i;

	if (c->nr_only == 0)
		return true;
	for (i = 0; i < c->nr_only; i++) {
		const char *p = c->only[i];
		size_t n = strlen(p);

		if (fnmatch(p, name, 0) == 0)
			return true;
		if (strncmp(name, p, n) == 0 && name[n] == '.')
			return true;
	}
	return false;
}

void
vuc_result(struct vuc_ctx *c, const char *name, const char *ref,
		enum vuc_res res, const char *fmt, ...)
{
	struct vuc_check *k;
	char reason[768];
	va_list ap;

	if (!vuc_selected(c, name))
		return;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	k = realloc(c->checks, sizeof(*k) * (c->nr_checks + 1));
	if (k == NULL) {
		fprintf(stderr, PRGNAME ": out of memory\n");
		exit(2);
	}
	c->checks = k;
	k = &c->checks[c->nr_checks++];
	k->name = strdup(name);
	k->ref = strdup(ref);
	k->res = res;
	k->reason = strdup(reason);
	if (res == VUC_PASS)
		c->nr_pass++;
	else if (res == VUC_FAIL)
		c->nr_fail++;
	else
		c->nr_skip++;
	if (!c->json) {
		printf("%s %s - %s [%s]\n", res_names[res], name, reason, ref);
		fflush(stdout);
	}
}

void
vuc_print_summary(const struct vuc_ctx *c)
{
	printf("summary: %d checks, %d passed, %d failed, %d skipped "
		"(%d connections, server pid %d)\n",
		c->nr_checks, c->nr_pass, c->nr_fail, c->nr_skip,
		c->nr_conns, (int)c->pid);
}

int
vuc_print_json(const struct vuc_ctx *c)
{
	json_t *root, *arr;
	int i, rc;

	arr = json_array();
	for (i = 0; i < c->nr_checks; i++) {
		const struct vuc_check *k = &c->checks[i];

		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}",
			"name", k->name, "ref", k->ref,
			"result", res_names[k->res], "reason", k->reason));
	}
	root = json_pack("{s:s, s:i, s:o, s:{s:i, s:i, s:i, s:i, s:i}}",
		"socket", c->path, "server_pid", (int)c->pid,
		"checks", arr,
		"summary", "total", c->nr_checks, "passed", c->nr_pass,
		"failed", c->nr_fail, "skipped", c->nr_skip,
		"connections", c->nr_conns);
	if (root == NULL)
		return -1;
	rc = json_dumpf(root, stdout, JSON_INDENT(2));
	printf("\n");
	json_decref(root);
	return rc;
}
