//===- device_buffers.cpp - a CUDA step's buffers in GPU memory ----------===//

#include "cuda/device_buffers.h"

#include "cuda/cuda_executor.h"

#include <string>

// Defined by a --target cuda step's object and by libsparsec_runtime_cuda.a;
// absent (null) in every other executable.
extern "C" {
__attribute__((weak)) extern const int32_t sparsec_step_device;
__attribute__((weak)) int sparsec_cuda_init(char *, size_t);
__attribute__((weak)) int sparsec_cuda_alloc(void **, size_t, char *, size_t);
__attribute__((weak)) void sparsec_cuda_free(void *);
__attribute__((weak)) int sparsec_cuda_upload(void *, const void *, size_t,
                                              char *, size_t);
__attribute__((weak)) int sparsec_cuda_download(void *, const void *, size_t,
                                                char *, size_t);
__attribute__((weak)) int sparsec_cuda_zero(void *, size_t, char *, size_t);
__attribute__((weak)) int sparsec_cuda_take_error(char *, size_t);
}

namespace sparsec {
namespace {
/// Runs one executor call; its message becomes the status.
template <typename Call> Status check(Call call) {
  char error[512] = {0};
  if (call(error, sizeof error) == 0)
    return Status::ok();
  return Status(StatusCode::kFailedPrecondition,
                std::string("sparsec: ") + error);
}

sparsec_memref1d view(void *pointer, size_t elements) {
  return sparsec_memref1d{pointer, pointer, 0, static_cast<int64_t>(elements),
                          1};
}
} // namespace

bool stepRunsOnGPU() { return &sparsec_step_device != nullptr; }

StatusOr<std::unique_ptr<DeviceBuffers>>
DeviceBuffers::create(const void *weights, size_t weightsBytes,
                      size_t kvCacheBytes, size_t vocab, size_t numFFNs,
                      size_t scratchBytes) {
  if (!sparsec_cuda_init || !sparsec_cuda_alloc || !sparsec_cuda_free ||
      !sparsec_cuda_upload || !sparsec_cuda_download || !sparsec_cuda_zero ||
      !sparsec_cuda_take_error)
    return Status(StatusCode::kFailedPrecondition,
                  "sparsec: the decode step runs on a GPU, but this "
                  "executable was linked without the CUDA executor "
                  "(libsparsec_runtime_cuda.a)");
  if (Status s =
          check([](char *e, size_t n) { return sparsec_cuda_init(e, n); });
      !s.isOk())
    return s;
  std::unique_ptr<DeviceBuffers> buffers(new DeviceBuffers());
  buffers->vocab_ = vocab;
  buffers->numFFNs_ = numFFNs;
  struct Wanted {
    Buffer *buffer;
    size_t bytes;
  };
  for (Wanted wanted : {Wanted{&buffers->weights_, weightsBytes},
                        Wanted{&buffers->kvCache_, kvCacheBytes},
                        Wanted{&buffers->logits_, vocab * sizeof(float)},
                        Wanted{&buffers->stats_, numFFNs * sizeof(int32_t)},
                        Wanted{&buffers->scratch_, scratchBytes}}) {
    wanted.buffer->bytes = wanted.bytes;
    if (Status s = check([&](char *e, size_t n) {
          return sparsec_cuda_alloc(&wanted.buffer->pointer, wanted.bytes, e,
                                    n);
        });
        !s.isOk())
      return s;
  }
  if (Status s = check([&](char *e, size_t n) {
        return sparsec_cuda_upload(buffers->weights_.pointer, weights,
                                   weightsBytes, e, n);
      });
      !s.isOk())
    return s;
  if (Status s = buffers->clearKvCache(); !s.isOk())
    return s;
  return buffers;
}

DeviceBuffers::~DeviceBuffers() {
  for (Buffer *buffer : {&weights_, &kvCache_, &logits_, &stats_, &scratch_})
    if (buffer->pointer)
      sparsec_cuda_free(buffer->pointer);
}

sparsec_memref1d DeviceBuffers::weights() const {
  return view(weights_.pointer, weights_.bytes);
}
sparsec_memref1d DeviceBuffers::kvCache() const {
  return view(kvCache_.pointer, kvCache_.bytes);
}
sparsec_memref1d DeviceBuffers::logits() const {
  return view(logits_.pointer, vocab_);
}
sparsec_memref1d DeviceBuffers::stats() const {
  return view(stats_.pointer, numFFNs_);
}
sparsec_memref1d DeviceBuffers::scratch() const {
  return view(scratch_.pointer, scratch_.bytes);
}

Status DeviceBuffers::beforeStep() {
  if (!stats_.bytes)
    return Status::ok();
  return check([&](char *e, size_t n) {
    return sparsec_cuda_zero(stats_.pointer, stats_.bytes, e, n);
  });
}

Status DeviceBuffers::afterStep(float *logits, int32_t *stats) {
  if (Status s = check(
          [](char *e, size_t n) { return sparsec_cuda_take_error(e, n); });
      !s.isOk())
    return s;
  if (Status s = check([&](char *e, size_t n) {
        return sparsec_cuda_download(logits, logits_.pointer, logits_.bytes, e,
                                     n);
      });
      !s.isOk())
    return s;
  if (!stats_.bytes)
    return Status::ok();
  return check([&](char *e, size_t n) {
    return sparsec_cuda_download(stats, stats_.pointer, stats_.bytes, e, n);
  });
}

Status DeviceBuffers::clearKvCache() {
  return check([&](char *e, size_t n) {
    return sparsec_cuda_zero(kvCache_.pointer, kvCache_.bytes, e, n);
  });
}

} // namespace sparsec
