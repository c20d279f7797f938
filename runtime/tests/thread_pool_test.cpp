//===- thread_pool_test.cpp - the parallel-for ------------------*- C++ -*-===//

#include "threading/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace sparsec {
namespace {

TEST(ThreadPoolTest, CoversTheRangeExactlyOnce) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
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
  ThreadPool pool(2);
  EXPECT_EQ(pool.threads(), 2);
  std::atomic<int> calls{0};
  for (int round = 0; round < 100; ++round)
    pool.parallelFor(10, [&](int64_t, int64_t) { calls++; });
  EXPECT_EQ(calls.load(), 200); // two ranges per call
}

} // namespace
} // namespace sparsec
