//===- thread_pool_test.cpp - the parallel-for ------------------*- C++ -*-===//

#include "threading/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <dirent.h>
#include <system_error>
#include <thread>
#include <vector>

namespace sparsec {
namespace {

TEST(ThreadPoolTest, CoversTheRangeExactlyOnce) {
  for (int threads : {1, 2, 3, 8}) {
    auto created = ThreadPool::create(threads);
    ASSERT_TRUE(created.isOk()) << created.status().message();
    ThreadPool &pool = **created;
    for (int64_t n : {0, 1, 2, 7, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.parallelFor(n, [&](int64_t begin, int64_t end) {
        ASSERT_LE(0, begin);
        ASSERT_LE(begin, end);
        ASSERT_LE(end, n);
        for (int64_t i = begin; i < end; ++i)
          hits[static_cast<size_t>(i)]++;
      });
      for (auto &hit : hits)
        EXPECT_EQ(hit.load(), 1) << threads << " threads, n = " << n;
    }
  }
}

TEST(ThreadPoolTest, UsesSeveralThreadsAndIsReusable) {
  auto created = ThreadPool::create(2);
  ASSERT_TRUE(created.isOk()) << created.status().message();
  ThreadPool &pool = **created;
  EXPECT_EQ(pool.threads(), 2);
  std::atomic<int> calls{0}, covered{0};
  for (int round = 0; round < 100; ++round)
    pool.parallelFor(10, [&](int64_t begin, int64_t end) {
      calls++;
      covered += static_cast<int>(end - begin);
    });
  // n = 10 on 2 threads: blocks of one iteration, taken from a counter.
  EXPECT_EQ(calls.load(), 1000);
  EXPECT_EQ(covered.load(), 1000);
}

// Issue 9, defect 5: a worker that cannot be started used to unwind the
// constructor with the started workers still waiting (a hang, or
// std::terminate); now they are joined and the failure is a status.
/// Threads of this process now (Linux: /proc/self/task).
int threadCount() {
  int count = 0;
  if (DIR *dir = ::opendir("/proc/self/task")) {
    while (struct dirent *entry = ::readdir(dir))
      if (entry->d_name[0] != '.')
        ++count;
    ::closedir(dir);
  }
  return count;
}

/// threadCount() once it is `expected`, or after 2 s. A joined thread can
/// still be listed for a moment: join returns when the kernel clears the
/// thread's id, slightly before it removes the task. A worker that was not
/// joined waits forever and stays listed.
int threadCountSettled(int expected) {
  int count = threadCount();
  for (int i = 0; i < 200 && count != expected; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    count = threadCount();
  }
  return count;
}

TEST(ThreadPoolTest, ThreadCreationFailureIsAStatusAndJoinsTheStarted) {
  const int before = threadCount();
  for (int failing : {1, 3, 7}) {
    ThreadPool::failThreadCreationForTesting(failing);
    auto pool = ThreadPool::create(8);
    ThreadPool::failThreadCreationForTesting(0);
    ASSERT_FALSE(pool.isOk()) << "worker " << failing;
    EXPECT_EQ(pool.status().code(), StatusCode::kResourceExhausted);
    EXPECT_EQ(pool.status().message(),
              "cannot start worker thread " + std::to_string(failing) +
                  " of 7 (" +
                  std::system_error(EAGAIN, std::generic_category()).what() +
                  "); ask for fewer threads (--threads, num_threads)");
    EXPECT_EQ(threadCountSettled(before), before)
        << "started workers were not joined";
  }
  // The pool works again once threads can be created.
  auto pool = ThreadPool::create(4);
  ASSERT_TRUE(pool.isOk());
  std::atomic<int> covered{0};
  (*pool)->parallelFor(8, [&](int64_t begin, int64_t end) {
    covered += static_cast<int>(end - begin);
  });
  EXPECT_EQ(covered.load(), 8);
}

TEST(ThreadPoolTest, RefusesThreadCountsOutsideTheLimit) {
  for (int threads : {0, -1, 1025}) {
    auto pool = ThreadPool::create(threads);
    ASSERT_FALSE(pool.isOk()) << threads;
    EXPECT_EQ(pool.status().message(),
              "cannot run " + std::to_string(threads) +
                  " threads: expected a count in [1, 1024]");
  }
}

} // namespace
} // namespace sparsec
