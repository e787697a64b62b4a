/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _TEST_H_
#define _TEST_H_

/*
 * A small dpdk-test runner with the interface of DPDK 22.11's app/test/test.h
 * (which DPDK does not install): REGISTER_TEST_COMMAND() (with REGISTER_FAST_TEST() of 23.11 and
 * REGISTER_STRESS_TEST() of 25.03), the TEST_ASSERT*
 * macros and unit test suites. A test file written against this header
 * builds unchanged inside a DPDK 22.11 source tree.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <rte_common.h>

#define TEST_SUCCESS EXIT_SUCCESS
#define TEST_FAILED  -1
#define TEST_SKIPPED 77

/*
 * Define TEST_TRACE_FAILURE(file, line, func) before including this header
 * to hook every failed assertion (e.g. to stop in a debugger).
 */
#ifndef TEST_TRACE_FAILURE
#define TEST_TRACE_FAILURE(_file, _line, _func) do { } while (0)
#endif

/* Report a failed check: always printed, whatever the EAL log level. */
#define TEST_REPORT_FAILURE(msg, ...) do { \
	printf("Test assert %s() %s:%d failed: " msg "\n", \
		__func__, __FILE__, __LINE__, ##__VA_ARGS__); \
	fflush(stdout); \
	TEST_TRACE_FAILURE(__FILE__, __LINE__, __func__); \
} while (0)

#define TEST_ASSERT(cond, msg, ...) do { \
	if (!(cond)) { \
		TEST_REPORT_FAILURE(msg, ##__VA_ARGS__); \
		return TEST_FAILED; \
	} \
} while (0)

#define TEST_ASSERT_EQUAL(a, b, msg, ...) \
	TEST_ASSERT((a) == (b), msg, ##__VA_ARGS__)

#define TEST_ASSERT_NOT_EQUAL(a, b, msg, ...) \
	TEST_ASSERT((a) != (b), msg, ##__VA_ARGS__)

#define TEST_ASSERT_SUCCESS(val, msg, ...) \
	TEST_ASSERT((val) == 0, msg, ##__VA_ARGS__)

#define TEST_ASSERT_FAIL(val, msg, ...) \
	TEST_ASSERT((val) != 0, msg, ##__VA_ARGS__)

#define TEST_ASSERT_NULL(val, msg, ...) \
	TEST_ASSERT((val) == NULL, msg, ##__VA_ARGS__)

#define TEST_ASSERT_NOT_NULL(val, msg, ...) \
	TEST_ASSERT((val) != NULL, msg, ##__VA_ARGS__)

#define TEST_ASSERT_BUFFERS_ARE_EQUAL(a, b, len, msg, ...) \
	TEST_ASSERT(memcmp((a), (b), (len)) == 0, msg, ##__VA_ARGS__)

#define TEST_ASSERT_BUFFERS_ARE_EQUAL_OFFSET(a, b, len, off, msg, ...) \
	TEST_ASSERT(memcmp((const char *)(a) + (off), \
		(const char *)(b) + (off), (len)) == 0, msg, ##__VA_ARGS__)

/* One test case of a suite. */
struct unit_test_case {
	int (*setup)(void);
	void (*teardown)(void);
	int (*testcase)(void);
	int (*testcase_with_data)(const void *data);
	const char *name;
	unsigned int enabled;
	const void *data;
};

#define TEST_CASE(fn) { NULL, NULL, fn, NULL, #fn, 1, NULL }

#define TEST_CASE_NAMED(name, fn) { NULL, NULL, fn, NULL, name, 1, NULL }

#define TEST_CASE_ST(setup, teardown, testcase) \
	{ setup, teardown, testcase, NULL, #testcase, 1, NULL }

#define TEST_CASE_WITH_DATA(setup, teardown, testcase, data) \
	{ setup, teardown, NULL, testcase, #testcase, 1, data }

#define TEST_CASE_NAMED_ST(name, setup, teardown, testcase) \
	{ setup, teardown, testcase, NULL, name, 1, NULL }

#define TEST_CASE_DISABLED(fn) { NULL, NULL, fn, NULL, #fn, 0, NULL }

#define TEST_CASE_ST_DISABLED(setup, teardown, testcase) \
	{ setup, teardown, testcase, NULL, #testcase, 0, NULL }

#define TEST_CASES_END() { NULL, NULL, NULL, NULL, NULL, 0, NULL }

/*
 * A suite: setup, the cases in order, teardown. The counters are filled in
 * by unit_test_suite_runner(). A suite may hold sub-suites (NULL-terminated
 * unit_test_suites), run before its own cases.
 */
struct unit_test_suite {
	const char *suite_name;
	int (*setup)(void);
	void (*teardown)(void);
	unsigned int total;
	unsigned int executed;
	unsigned int succeeded;
	unsigned int skipped;
	unsigned int failed;
	unsigned int unsupported;
	struct unit_test_suite **unit_test_suites;
	struct unit_test_case unit_test_cases[];
};

/*
 * Run a suite and print one line per case and a summary.
 * Returns TEST_SUCCESS, TEST_FAILED (a case or the setup failed) or
 * TEST_SKIPPED (every case was skipped).
 */
int unit_test_suite_runner(struct unit_test_suite *suite);

typedef int (test_callback)(void);
TAILQ_HEAD(test_commands_list, test_command);
struct test_command {
	TAILQ_ENTRY(test_command) next;
	const char *command;
	test_callback *callback;
};

void add_test_command(struct test_command *t);

/* Register a test (constructor-time) under the name cmd. */
#define REGISTER_TEST_COMMAND(cmd, func) \
	static struct test_command test_struct_##cmd = { \
		.command = RTE_STR(cmd), \
		.callback = func, \
	}; \
	RTE_INIT(test_register_##cmd) \
	{ \
		add_test_command(&test_struct_##cmd); \
	}

/*
 * The later forms, which put a test in a meson suite of DPDK's
 * app/test: fast-tests (whether it may run without hugepages and under
 * ASan: NOHUGE_OK or NOHUGE_SKIP, ASAN_OK or ASAN_SKIP) or stress-tests.
 * Here, as in DPDK, they register the command; this runner's meson.build
 * lists the tests itself.
 */
#define REGISTER_FAST_TEST(cmd, no_huge, ASan, func) \
	REGISTER_TEST_COMMAND(cmd, func)
#define REGISTER_STRESS_TEST(cmd, func) REGISTER_TEST_COMMAND(cmd, func)

extern const char *prgname;

#endif /* _TEST_H_ */
