/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

/*
 * dpdk-test: runs the autotests registered with REGISTER_TEST_COMMAND(),
 * used like DPDK's own dpdk-test:
 *
 *   DPDK_TEST=vfio_user_autotest dpdk-test [EAL args]
 *   dpdk-test [EAL args --] vfio_user_autotest [more tests]
 *   dpdk-test             (lists the tests)
 *
 * Without EAL arguments it runs EAL without hugepages, PCI or shared config,
 * under a file prefix of its own so that parallel runs do not clash.
 * Exit status: 0 all passed, 77 skipped, 1 failed (or usage error).
 */

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>

#include "test.h"

#define SUITE_LINE " + ------------------------------------------------------- +\n"

const char *prgname;

static struct test_commands_list commands_list =
	TAILQ_HEAD_INITIALIZER(commands_list);

/* Keep the list sorted by name so that the listing is stable. */
void
add_test_command(struct test_command *t)
{
	struct test_command *cur;

	TAILQ_FOREACH(cur, &commands_list, next) {
		if (strcmp(t->command, cur->command) < 0) {
			TAILQ_INSERT_BEFORE(cur, t, next);
			return;
		}
	}
	TAILQ_INSERT_TAIL(&commands_list, t, next);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *
case_status_str(int ret)
{
	switch (ret) {
	case TEST_SUCCESS:
		return "succeeded";
	case TEST_SKIPPED:
		return "skipped";
	case -ENOTSUP:
		return "unsupported";
	default:
		return "failed";
	}
}

static void
suite_count_case(struct unit_test_suite *suite, int ret)
{
	switch (ret) {
	case TEST_SUCCESS:
		suite->succeeded++;
		suite->executed++;
		break;
	case TEST_SKIPPED:
		suite->skipped++;
		break;
	case -ENOTSUP:
		suite->unsupported++;
		break;
	default:
		suite->failed++;
		suite->executed++;
		break;
	}
}

static int
run_test_case(const struct unit_test_case *tc)
{
	int ret;

	if (tc->setup != NULL) {
		ret = tc->setup();
		if (ret != TEST_SUCCESS) {
			printf(" + TestCase setup of %s %s\n", tc->name,
				ret == TEST_SKIPPED ? "skipped the case" :
				"failed");
			/* the setup may have half-built: tear it down */
			if (tc->teardown != NULL)
				tc->teardown();
			return ret == TEST_SKIPPED ? TEST_SKIPPED : TEST_FAILED;
		}
	}
	if (tc->testcase != NULL)
		ret = tc->testcase();
	else
		ret = tc->testcase_with_data(tc->data);
	if (tc->teardown != NULL)
		tc->teardown();
	return ret;
}

static unsigned int
suite_case_count(const struct unit_test_suite *suite)
{
	unsigned int n = 0;

	while (suite->unit_test_cases[n].testcase != NULL ||
			suite->unit_test_cases[n].testcase_with_data != NULL)
		n++;
	return n;
}

static void
suite_summary(const struct unit_test_suite *suite, uint64_t ms)
{
	printf(SUITE_LINE);
	printf(" + Test Suite Summary : %s\n", suite->suite_name);
	printf(SUITE_LINE);
	printf(" + Tests Total :       %2u\n", suite->total);
	printf(" + Tests Skipped :     %2u\n", suite->skipped);
	printf(" + Tests Executed :    %2u\n", suite->executed);
	printf(" + Tests Unsupported:  %2u\n", suite->unsupported);
	printf(" + Tests Passed :      %2u\n", suite->succeeded);
	printf(" + Tests Failed :      %2u\n", suite->failed);
	printf(" + Duration :          %" PRIu64 " ms\n", ms);
	printf(SUITE_LINE);
}

static void
suite_add_sub(struct unit_test_suite *suite, const struct unit_test_suite *sub)
{
	suite->total += sub->total;
	suite->executed += sub->executed;
	suite->succeeded += sub->succeeded;
	suite->skipped += sub->skipped;
	suite->failed += sub->failed;
	suite->unsupported += sub->unsupported;
}

int
unit_test_suite_runner(struct unit_test_suite *suite)
{
	const char *name = suite->suite_name != NULL ?
		suite->suite_name : "(unnamed)";
	unsigned int i, ncases = suite_case_count(suite);
	uint64_t start = now_ms();
	int ret = TEST_SUCCESS;

	suite->total = 0;
	suite->executed = 0;
	suite->succeeded = 0;
	suite->skipped = 0;
	suite->failed = 0;
	suite->unsupported = 0;

	printf(SUITE_LINE);
	printf(" + Test Suite : %s\n", name);
	printf(SUITE_LINE);
	fflush(stdout);

	if (suite->setup != NULL)
		ret = suite->setup();
	if (ret != TEST_SUCCESS) {
		/* nothing ran: every case counts as skipped or failed */
		printf(" + Test Suite setup %s\n",
			ret == TEST_SKIPPED ? "skipped the suite" : "failed");
		for (i = 0; i < ncases; i++) {
			suite->total++;
			suite_count_case(suite, ret == TEST_SKIPPED ?
				TEST_SKIPPED : TEST_FAILED);
		}
		if (ret != TEST_SKIPPED && suite->failed == 0)
			suite->failed++; /* a failed setup fails the suite */
		goto summary;
	}

	for (i = 0; suite->unit_test_suites != NULL &&
			suite->unit_test_suites[i] != NULL; i++) {
		unit_test_suite_runner(suite->unit_test_suites[i]);
		suite_add_sub(suite, suite->unit_test_suites[i]);
	}

	for (i = 0; i < ncases; i++) {
		const struct unit_test_case *tc = &suite->unit_test_cases[i];
		uint64_t t0 = now_ms();
		int r;

		suite->total++;
		if (!tc->enabled) {
			r = TEST_SKIPPED;
		} else {
			printf(" + TestCase [%2u] : %s ...\n", i, tc->name);
			fflush(stdout);
			r = run_test_case(tc);
		}
		suite_count_case(suite, r);
		printf(" + TestCase [%2u] : %s %s%s (%" PRIu64 " ms)\n", i,
			tc->name, case_status_str(r),
			tc->enabled ? "" : " (disabled)", now_ms() - t0);
		fflush(stdout);
	}

	if (suite->teardown != NULL)
		suite->teardown();

summary:
	suite_summary(suite, now_ms() - start);
	fflush(stdout);
	if (suite->failed != 0)
		return TEST_FAILED;
	if (suite->total == 0 || suite->skipped + suite->unsupported ==
			suite->total)
		return TEST_SKIPPED;
	return TEST_SUCCESS;
}

static struct test_command *
find_test(const char *name)
{
	struct test_command *t;

	TAILQ_FOREACH(t, &commands_list, next) {
		if (strcmp(t->command, name) == 0)
			return t;
	}
	return NULL;
}

static void
list_tests(void)
{
	struct test_command *t;

	printf("Usage: DPDK_TEST=<test> %s [EAL args]\n"
		"       %s [EAL args --] <test> [<test> ...]\n"
		"Available tests:\n", prgname, prgname);
	TAILQ_FOREACH(t, &commands_list, next)
		printf("  %s\n", t->command);
}

static int
run_test(const char *name)
{
	struct test_command *t = find_test(name);
	uint64_t start;
	int ret;

	if (t == NULL) {
		printf("Unknown test: %s\n", name);
		return TEST_FAILED;
	}
	printf("RTE>>%s\n", name);
	fflush(stdout);
	start = now_ms();
	ret = t->callback();
	if (ret == TEST_SUCCESS)
		printf("Test OK");
	else if (ret == TEST_SKIPPED)
		printf("Test Skipped");
	else
		printf("Test Failed");
	printf(" (%s, %" PRIu64 " ms)\n", name, now_ms() - start);
	fflush(stdout);
	return ret;
}

/* Are EAL arguments given, i.e. an option before the first "--"? */
static bool
has_eal_args(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (argv[i][0] == '-')
			return true;
	}
	return false;
}

/* rte_eal_init() with a default argument list; returns its result. */
static int
eal_init_default(void)
{
	static char prefix[64];
	char *eal_argv[] = {
		(char *)(uintptr_t)prgname,
		(char *)(uintptr_t)"--no-huge",
		(char *)(uintptr_t)"-m",
		(char *)(uintptr_t)"64",
		(char *)(uintptr_t)"--no-pci",
		(char *)(uintptr_t)"--no-shconf",
		(char *)(uintptr_t)"--log-level=lib.eal:error",
		prefix,
		NULL,
	};

	snprintf(prefix, sizeof(prefix), "--file-prefix=dpdk-test-%ld",
		(long)getpid());
	return rte_eal_init((int)RTE_DIM(eal_argv) - 1, eal_argv);
}

static int
exit_code(int ret)
{
	if (ret == TEST_SUCCESS)
		return EXIT_SUCCESS;
	if (ret == TEST_SKIPPED)
		return TEST_SKIPPED;
	return EXIT_FAILURE;
}

int
main(int argc, char **argv)
{
	const char *env_test = getenv("DPDK_TEST");
	int ret = TEST_SUCCESS;
	int first, i, n;

	prgname = argv[0];
	if (has_eal_args(argc, argv)) {
		n = rte_eal_init(argc, argv);
		if (n < 0) {
			printf("Cannot init EAL: %s\n", rte_strerror(rte_errno));
			return EXIT_FAILURE;
		}
		/* EAL leaves the program name in argv[n] */
		first = n + 1;
	} else {
		n = eal_init_default();
		if (n < 0) {
			printf("Cannot init EAL: %s\n", rte_strerror(rte_errno));
			return EXIT_FAILURE;
		}
		first = 1;
	}

	if (env_test != NULL && env_test[0] != '\0') {
		ret = run_test(env_test);
	} else {
		unsigned int run = 0, skipped = 0;

		for (i = first; i < argc; i++) {
			int r;

			if (strcmp(argv[i], "--") == 0)
				continue;
			run++;
			r = run_test(argv[i]);
			if (r == TEST_SKIPPED) {
				skipped++;
			} else if (r != TEST_SUCCESS) {
				/* stop at the first failure, as upstream */
				ret = TEST_FAILED;
				break;
			}
		}
		if (run == 0)
			list_tests();
		else if (ret == TEST_SUCCESS && skipped == run)
			ret = TEST_SKIPPED;
	}

	rte_eal_cleanup();
	return exit_code(ret);
}
