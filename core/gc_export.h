/* libgancore — which symbols the shared library exports.
 *
 * The library is compiled with hidden visibility by default. A public
 * (installed) header wraps its declarations in GC_BEGIN_DECLS /
 * GC_END_DECLS, which give them default visibility and C linkage in C++;
 * GC_API does the same for a single declaration. Functions declared only in
 * the core's internal headers (gc_json.h, gc_conv2d_internal.h,
 * gc_check.h, gcn_vocoder_internal.h) are not exported. */
#ifndef GC_EXPORT_H
#define GC_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define GC_API __attribute__ ((visibility ("default")))
#define GC_VISIBILITY_PUSH_ _Pragma ("GCC visibility push(default)")
#define GC_VISIBILITY_POP_ _Pragma ("GCC visibility pop")
#else
#define GC_API
#define GC_VISIBILITY_PUSH_
#define GC_VISIBILITY_POP_
#endif

#ifdef __cplusplus
#define GC_BEGIN_DECLS GC_VISIBILITY_PUSH_ extern "C" {
#define GC_END_DECLS } GC_VISIBILITY_POP_
#else
#define GC_BEGIN_DECLS GC_VISIBILITY_PUSH_
#define GC_END_DECLS GC_VISIBILITY_POP_
#endif

#endif
