/* libgancore — which symbols the shared library exports.
 *
 * The library is compiled with hidden visibility: only the declarations
 * marked GC_API (those of gancore.h, the public API) are exported.
 * GC_BEGIN_DECLS / GC_END_DECLS give C linkage to C++ callers; the core's
 * internal headers use them too, without exporting anything. */
#ifndef GC_EXPORT_H
#define GC_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define GC_API __attribute__ ((visibility ("default")))
#else
#define GC_API
#endif

#ifdef __cplusplus
#define GC_BEGIN_DECLS extern "C" {
#define GC_END_DECLS }
#else
#define GC_BEGIN_DECLS
#define GC_END_DECLS
#endif

#endif
