/*===- cuda_executor.h - device memory for CUDA decode steps ------*- C -*-===//
 *
 * The runtime side of `sparsec compile --target cuda`. A CUDA step's host
 * code launches its kernels through the mgpu* functions (the ABI MLIR's
 * gpu-to-llvm lowering calls), which cuda_executor.cpp implements over the
 * CUDA driver API opened at run time with dlopen("libcuda.so.1"): nothing of
 * CUDA is linked, so a CUDA executable starts anywhere and says, in one
 * line, what it lacks. The session (api.cpp) keeps the step's buffers in
 * device memory through the functions below; it finds them (weak symbols)
 * only in executables linked with libsparsec_runtime_cuda.a.
 *
 * Every function returns 0 on success; on failure it returns -1 and writes
 * a one-line message into `error` (`size` bytes, NUL-terminated).
 *===----------------------------------------------------------------------===*/

#ifndef SPARSEC_RUNTIME_CUDA_EXECUTOR_H
#define SPARSEC_RUNTIME_CUDA_EXECUTOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The oldest driver that reads the PTX the compiler emits (ISA 8.0). */
#define SPARSEC_CUDA_MIN_DRIVER_VERSION 12000

/* Opens the driver and a context on device 0 (once per process). */
int sparsec_cuda_init(char *error, size_t size);
/* `bytes` of device memory (at least 1), 256-byte aligned. */
int sparsec_cuda_alloc(void **device, size_t bytes, char *error, size_t size);
void sparsec_cuda_free(void *device);
int sparsec_cuda_upload(void *device, const void *host, size_t bytes,
                        char *error, size_t size);
int sparsec_cuda_download(void *host, const void *device, size_t bytes,
                          char *error, size_t size);
int sparsec_cuda_zero(void *device, size_t bytes, char *error, size_t size);
/* The first failure an mgpu* call met since the last call (a kernel launch
 * or a stream that failed), then cleared; 0 when there was none. */
int sparsec_cuda_take_error(char *error, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* SPARSEC_RUNTIME_CUDA_EXECUTOR_H */
