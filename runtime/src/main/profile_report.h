//===- profile_report.h - the --profile table -------------------*- C++ -*-===//
//
// What a profiling session measured (sparsec_session_query_profile), as a
// table: time per step split into kernels and the serial code between them,
// the kernels grouped by kind across layers ("layer 3 ffn (predicted):
// predictor fc1" counts as "layer * ffn (predicted): predictor fc1"), then
// the slowest single kernels.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_RUNTIME_MAIN_PROFILE_REPORT_H
#define SPARSEC_RUNTIME_MAIN_PROFILE_REPORT_H

#include <cstdint>
#include <string>
#include <vector>

namespace sparsec {

struct KernelTime {
  std::string name;
  int64_t calls = 0;
  double seconds = 0.0;
};

/// `name` with its layer and expert numbers replaced by '*'.
std::string kernelKind(const std::string &name);

/// The report for `steps` steps that took `stepSeconds` in all; `top`
/// single kernels are listed after the kinds.
std::string formatProfile(int64_t steps, double stepSeconds,
                          const std::vector<KernelTime> &kernels,
                          size_t top = 10);

} // namespace sparsec

#endif // SPARSEC_RUNTIME_MAIN_PROFILE_REPORT_H
