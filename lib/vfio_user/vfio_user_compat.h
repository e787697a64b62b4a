/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The librte_vfio_user authors
 */

#ifndef _VFIO_USER_COMPAT_H_
#define _VFIO_USER_COMPAT_H_

/*
 * Every difference between the DPDK releases this library builds with, in
 * one place, keyed on RTE_VERSION: 22.11 LTS (Debian 12's libdpdk-dev,
 * in tree or out of tree), 23.11, 24.11 and main (26.07 and later). The
 * sources use the newest spelling where an old release can be given it
 * (rte_tel_data_add_dict_uint, __rte_packed_begin/__rte_packed_end,
 * RTE_EXPORT_*); otherwise a vu_ wrapper hides the change.
 *
 *   23.03  rte_tel_data_add_dict_uint() replaces rte_tel_data_add_dict_u64()
 *          (deprecated in 23.03, removed since).
 *   23.11  rte_ctrl_thread_create() (pthread_t) is gone: control threads
 *          are rte_thread_t, made by rte_thread_create_control(), and run a
 *          uint32_t (*)(void *).
 *   24.03  RTE_LOG_LINE() adds the newline (a statement, not usable where
 *          VU_LOG() is an expression); RTE_LOG() with "\n" works in all.
 *   24.11  rte_is_power_of_2() and the other bit helpers live in
 *          rte_bitops.h (rte_common.h no longer declares them).
 *   25.03  __rte_packed is deprecated (an error with -Werror):
 *          __rte_packed_begin before the tag, __rte_packed_end after the
 *          closing brace.
 *   25.07  no version.map: the linker map of a library is generated from
 *          RTE_EXPORT_SYMBOL / RTE_EXPORT_EXPERIMENTAL_SYMBOL /
 *          RTE_EXPORT_INTERNAL_SYMBOL lines in its .c files
 *          (buildtools/gen-version-map.py), macros of EAL's private
 *          eal_export.h, which is not installed. lib/vfio_user keeps
 *          version.map for the older releases and the out-of-tree build;
 *          vfio_user_exports.c holds the same list as RTE_EXPORT_* lines.
 */

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>

#include <rte_version.h>
#include <rte_common.h>
#include <rte_bitops.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_thread.h>

#define VU_DPDK_AT_LEAST(y, m) (RTE_VERSION >= RTE_VERSION_NUM(y, m, 0, 0))

/* 25.07: symbol export marks; no-ops for the C compiler in every release. */
#if defined(__has_include)
#if __has_include(<eal_export.h>)
#include <eal_export.h>
#endif
#endif
#ifndef RTE_EXPORT_SYMBOL
#define RTE_EXPORT_SYMBOL(symbol)
#endif
#ifndef RTE_EXPORT_EXPERIMENTAL_SYMBOL
#define RTE_EXPORT_EXPERIMENTAL_SYMBOL(symbol, ver)
#endif
#ifndef RTE_EXPORT_INTERNAL_SYMBOL
#define RTE_EXPORT_INTERNAL_SYMBOL(symbol)
#endif

/* 25.03: packed structures. */
#ifndef __rte_packed_begin
#define __rte_packed_begin
#endif
#ifndef __rte_packed_end
#define __rte_packed_end __rte_packed
#endif

/* 23.03: unsigned telemetry values. */
#if !VU_DPDK_AT_LEAST(23, 3)
#define rte_tel_data_add_dict_uint rte_tel_data_add_dict_u64
#endif

/*
 * 24.03: log lines. RTE_LOG_LINE() is a statement (do { } while (0)) while
 * VU_LOG() is an expression (VU_EINVAL() logs and yields -EINVAL), so the
 * library keeps RTE_LOG() with the newline in the format, valid in every
 * release: VU_LOG_LINE(level, fmt, ...) prints "VFIO_USER: " fmt "\n" on
 * the library's logtype (RTE_LOGTYPE_VFIO_USER, the RTE_LOG_LINE naming).
 */
#define RTE_LOGTYPE_VFIO_USER vfio_user_logtype
#define VU_LOG_LINE(level, fmt, ...) \
	RTE_LOG(level, VFIO_USER, fmt "\n", ##__VA_ARGS__)

/*
 * 23.11: control threads. A vu_thread_fn returns VU_THREAD_RET_NONE. The
 * thread keeps the name it is given (at most 15 characters) in every
 * release: rte_thread_create_internal_control() would prefix "dpdk-" and
 * cut it to 10 characters, which makes our two threads' names the same.
 */
#if VU_DPDK_AT_LEAST(23, 11)
typedef rte_thread_t vu_thread_t;
typedef uint32_t vu_thread_ret_t;
#define VU_THREAD_RET_NONE 0

static inline int
vu_ctrl_thread_create(vu_thread_t *t, const char *name,
		vu_thread_ret_t (*fn)(void *), void *arg)
{
	return rte_thread_create_control(t, name, fn, arg);
}

static inline bool
vu_thread_is_self(vu_thread_t t)
{
	return rte_thread_equal(rte_thread_self(), t) != 0;
}
#else
typedef pthread_t vu_thread_t;
typedef void *vu_thread_ret_t;
#define VU_THREAD_RET_NONE NULL

static inline int
vu_ctrl_thread_create(vu_thread_t *t, const char *name,
		vu_thread_ret_t (*fn)(void *), void *arg)
{
	return rte_ctrl_thread_create(t, name, NULL, fn, arg);
}

static inline bool
vu_thread_is_self(vu_thread_t t)
{
	return pthread_equal(pthread_self(), t) != 0;
}
#endif

#endif /* _VFIO_USER_COMPAT_H_ */
