//===- thread_pool.cpp - the parallel-for generated code calls --*- C++ -*-===//

#include "threading/thread_pool.h"

#include "sparsec/formats/limits.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <new>
#include <system_error>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace sparsec {

namespace {
/// How long a waiting thread spins before it sleeps: longer than the
/// serial code between two parallel loops of a step (norms, sums, the
/// sampler: tens of microseconds), short enough not to matter when idle.
constexpr std::chrono::microseconds kSpinTime{1000};

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

/// Spins until `done()` holds or kSpinTime has passed; returns done().
template <typename Predicate> bool spinUntil(Predicate done) {
  auto deadline = std::chrono::steady_clock::now() + kSpinTime;
  while (true) {
    for (int i = 0; i < 64; ++i) {
      if (done())
        return true;
      cpuRelax();
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return done();
  }
}

/// failThreadCreationForTesting's countdown: 0 off, else the worker start
/// that throws.
std::atomic<int> failingThread{0};
} // namespace

void ThreadPool::failThreadCreationForTesting(int n) { failingThread.store(n); }

StatusOr<std::unique_ptr<ThreadPool>> ThreadPool::create(int threads) {
  if (threads < 1 || threads > limits::kMaxThreads)
    return Status(StatusCode::kInvalidArgument,
                  "cannot run " + std::to_string(threads) +
                      " threads: expected a count in [1, " +
                      std::to_string(limits::kMaxThreads) + "]");
  std::unique_ptr<ThreadPool> pool(new ThreadPool());
  if (Status status = pool->start(threads - 1); !status.isOk())
    return status;
  return pool;
}

Status ThreadPool::start(int workers) {
  std::string error;
  try {
    workers_.reserve(static_cast<size_t>(workers));
    for (int i = 1; i <= workers; ++i) {
      int countdown = failingThread.load();
      if (countdown > 0 && failingThread.fetch_sub(1) == 1)
        throw std::system_error(EAGAIN, std::generic_category());
      workers_.emplace_back([this] { workerLoop(); });
    }
    return Status::ok();
  } catch (const std::system_error &e) {
    error = e.what();
  } catch (const std::bad_alloc &) {
    error = "out of memory";
  }
  size_t started = workers_.size();
  stopAndJoin();
  workers_.clear();
  return Status(StatusCode::kResourceExhausted,
                "cannot start worker thread " + std::to_string(started + 1) +
                    " of " + std::to_string(workers) + " (" + error +
                    "); ask for fewer threads (--threads, num_threads)");
}

void ThreadPool::stopAndJoin() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true, std::memory_order_release);
  }
  wake_.notify_all();
  for (std::thread &worker : workers_)
    if (worker.joinable())
      worker.join();
}

ThreadPool::~ThreadPool() { stopAndJoin(); }

void ThreadPool::runBlocks(const std::function<void(int64_t, int64_t)> &body,
                           int64_t n, int64_t grain) {
  while (true) {
    int64_t begin = next_.fetch_add(grain, std::memory_order_relaxed);
    if (begin >= n)
      return;
    body(begin, std::min(n, begin + grain));
  }
}

void ThreadPool::parallelFor(
    int64_t n, const std::function<void(int64_t, int64_t)> &body) {
  if (n <= 0)
    return;
  if (threads() == 1 || n == 1) {
    body(0, n);
    return;
  }
  // About 8 blocks per thread: enough to even out uneven blocks, few
  // enough that taking one (an atomic add) costs nothing next to its work.
  int64_t grain = std::max<int64_t>(1, n / (8 * threads()));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    body_ = &body;
    n_ = n;
    grain_ = grain;
    next_.store(0, std::memory_order_relaxed);
    pending_.store(static_cast<int>(workers_.size()),
                   std::memory_order_relaxed);
    // Release: a worker that sees the new generation sees the fields.
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  runBlocks(body, n, grain);
  auto finished = [this] {
    return pending_.load(std::memory_order_acquire) == 0;
  };
  if (!spinUntil(finished)) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, finished);
  }
  body_ = nullptr;
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;
  while (true) {
    auto called = [&] {
      return stop_.load(std::memory_order_acquire) ||
             generation_.load(std::memory_order_acquire) != seen;
    };
    if (!spinUntil(called)) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, called);
    }
    if (stop_.load(std::memory_order_acquire))
      return;
    seen = generation_.load(std::memory_order_acquire);
    const std::function<void(int64_t, int64_t)> *body = body_;
    int64_t n = n_, grain = grain_;
    runBlocks(*body, n, grain);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // The caller checks pending_ under the mutex before it sleeps.
      std::lock_guard<std::mutex> lock(mutex_);
      done_.notify_one();
    }
  }
}

} // namespace sparsec
