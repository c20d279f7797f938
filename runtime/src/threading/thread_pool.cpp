//===- thread_pool.cpp - the parallel-for generated code calls --*- C++ -*-===//

#include "threading/thread_pool.h"

#include "sparsec/formats/limits.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <new>
#include <system_error>

namespace sparsec {

namespace {
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
    stop_ = true;
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
    pending_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  wake_.notify_all();
  runBlocks(body, n, grain);
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return pending_ == 0; });
  body_ = nullptr;
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;
  while (true) {
    const std::function<void(int64_t, int64_t)> *body;
    int64_t n, grain;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_)
        return;
      seen = generation_;
      body = body_;
      n = n_;
      grain = grain_;
    }
    runBlocks(*body, n, grain);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--pending_ == 0)
        done_.notify_one();
    }
  }
}

} // namespace sparsec
