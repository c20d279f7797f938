//===- device_buffers.h - a CUDA step's buffers in GPU memory ---*- C++ -*-===//
//
// Part of sparsec_runtime (no CUDA dependency): it reaches the CUDA
// executor through weak symbols, present only in executables that
// `sparsec compile --target cuda` linked with libsparsec_runtime_cuda.a.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_RUNTIME_CUDA_DEVICE_BUFFERS_H
#define SPARSEC_RUNTIME_CUDA_DEVICE_BUFFERS_H

#include "sparsec/formats/status.h"
#include "sparsec/kernel_abi.h"

#include <cstddef>
#include <cstdint>
#include <memory>

namespace sparsec {

/// Whether the linked decode step runs on an NVIDIA GPU (its object
/// defines `sparsec_step_device`).
bool stepRunsOnGPU();

/// The weights (uploaded once), KV cache, logits, stats and scratch of one
/// session, in GPU memory.
class DeviceBuffers {
public:
  /// Opens the GPU (the one-line error when there is none), allocates the
  /// buffers and uploads the weights.
  static StatusOr<std::unique_ptr<DeviceBuffers>>
  create(const void *weights, size_t weightsBytes, size_t kvCacheBytes,
         size_t vocab, size_t numFFNs, size_t scratchBytes);
  ~DeviceBuffers();
  DeviceBuffers(const DeviceBuffers &) = delete;
  DeviceBuffers &operator=(const DeviceBuffers &) = delete;

  /// The step's buffer arguments (kernel_abi.h's order), device pointers.
  sparsec_memref1d weights() const;
  sparsec_memref1d kvCache() const;
  sparsec_memref1d logits() const;
  sparsec_memref1d stats() const;
  sparsec_memref1d scratch() const;

  /// Before a step: zeroes the stats counters.
  Status beforeStep();
  /// After a step: its GPU error, if any, else its logits and stats copied
  /// to `logits` (vocab floats) and `stats` (one per FFN).
  Status afterStep(float *logits, int32_t *stats);
  Status clearKvCache();

private:
  DeviceBuffers() = default;
  struct Buffer {
    void *pointer = nullptr;
    size_t bytes = 0;
  };
  Buffer weights_, kvCache_, logits_, stats_, scratch_;
  size_t vocab_ = 0, numFFNs_ = 0;
};

} // namespace sparsec

#endif // SPARSEC_RUNTIME_CUDA_DEVICE_BUFFERS_H
