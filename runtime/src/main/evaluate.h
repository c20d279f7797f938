//===- evaluate.h - OUT/model --eval: scoring a text ------------*- C++ -*-===//
//
//   OUT/model --eval FILE.txt [--eval-tokens N] [--eval-context C]
//             [--eval-save FILE] [--eval-baseline FILE] [--eval-report FILE]
//
// Feeds the text's tokens through the model (teacher forcing: the text, not
// the model, picks each next token) in chunks of C positions, each from an
// empty cache (and BOS, when the tokenizer has one), and scores the first N
// predictions of the text's next token:
//   - negative log-likelihood and perplexity, top-1 accuracy;
//   - with --eval-baseline (a file another model's --eval-save wrote over
//     the same text): KL(P_baseline || P_model) per position (mean, p99,
//     max), top-1 agreement and the baseline's perplexity;
//   - the realized density of every sparse FFN (computed / neurons, over
//     the steps where it ran) and how often it ran (MoE experts).
// --eval-save writes every scored position's log-probabilities (f32, the
// whole vocabulary) for a later --eval-baseline: 16-byte magic
// "sparsec-eval-v1\0", u32 vocab, u32 positions, u64 FNV-1a of the token
// sequence, then positions x vocab floats. --eval-report writes report.json.
// --record DIR (a model compiled --record-activations): after each step,
// each record's values (f16) are appended to DIR/record-<i>.f16 and the
// step's number (i32) to DIR/record-<i>.steps when its FFN ran; DIR/
// records.json lists them (index, layer, expert, kind, count, rows).
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_RUNTIME_MAIN_EVALUATE_H
#define SPARSEC_RUNTIME_MAIN_EVALUATE_H

#include "main/cli_options.h"
#include "sparsec/formats/status.h"
#include "sparsec/runtime.h"

namespace sparsec {

/// The --bench line for DIR/report.json (what sparsec eval measured), or
/// "" when there is none.
std::string accuracySummary(const std::string &modelDir);

/// Runs --eval; prints a summary on stdout.
Status evaluateText(const CliOptions &options, sparsec_model_t *model,
                    const sparsec_model_info_t &info);

} // namespace sparsec

#endif // SPARSEC_RUNTIME_MAIN_EVALUATE_H
