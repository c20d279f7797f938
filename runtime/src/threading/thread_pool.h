//===- thread_pool.h - the parallel-for generated code calls ----*- C++ -*-===//
//
// A fixed set of worker threads plus the calling thread. parallelFor splits
// [0, n) into one contiguous range per thread and returns when all are
// done. Workers wait on a condition variable between calls; a call costs a
// wake-up and a join, small next to a matvec over a weight matrix.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_RUNTIME_THREADING_THREAD_POOL_H
#define SPARSEC_RUNTIME_THREADING_THREAD_POOL_H

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sparsec {

class ThreadPool {
public:
  /// `threads` >= 1 counts the caller; 1 runs everything inline.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  /// Runs body(begin, end) over a partition of [0, n); not reentrant.
  void parallelFor(int64_t n, const std::function<void(int64_t, int64_t)> &body);

private:
  void workerLoop(int index);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int64_t)> *body_ = nullptr;
  int64_t n_ = 0;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
};

} // namespace sparsec

#endif // SPARSEC_RUNTIME_THREADING_THREAD_POOL_H
