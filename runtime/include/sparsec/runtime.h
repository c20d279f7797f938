/*===- runtime.h - the sparsec runtime's C API --------------------*- C -*-===//
 *
 * Loads a compiled model (OUT/manifest.json + OUT/weights.safetensors) and
 * runs its generated decode step token by token. IREE style: opaque,
 * reference-counted handles; every fallible call returns a sparsec_status_t,
 * which is NULL on success and otherwise owns a code and a one-line message
 * that the caller frees with sparsec_status_free. No C++ exception ever
 * crosses this API.
 *
 *   sparsec_model_t *model = NULL;
 *   sparsec_status_t status = sparsec_model_load("OUT", &model);
 *   if (!sparsec_status_is_ok(status)) {
 *     fprintf(stderr, "%s\n", sparsec_status_message(status));
 *     sparsec_status_free(status);
 *   }
 *   sparsec_session_options_t options;
 *   sparsec_session_options_initialize(&options);
 *   sparsec_session_t *session = NULL;
 *   status = sparsec_session_create(model, &options, &session);
 *   status = sparsec_session_step(session, token, NULL);
 *   status = sparsec_session_sample(session, &token);
 *   sparsec_session_release(session);
 *   sparsec_model_release(model);
 *
 * The decode step is the compiler's object (kernel_abi.h), linked into the
 * same executable. A model may be shared by sessions on several threads; a
 * session is used by one thread at a time.
 *===----------------------------------------------------------------------===*/

#ifndef SPARSEC_RUNTIME_H
#define SPARSEC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*===----------------------------------------------------------------------===
 * Status
 *===----------------------------------------------------------------------===*/

typedef enum sparsec_status_code_e {
  SPARSEC_STATUS_OK = 0,
  SPARSEC_STATUS_INVALID_ARGUMENT = 1, /* a caller passed something unusable */
  SPARSEC_STATUS_NOT_FOUND = 2,        /* a file or tensor does not exist */
  SPARSEC_STATUS_DATA_LOSS = 3,        /* a file is malformed or inconsistent */
  SPARSEC_STATUS_UNIMPLEMENTED = 4,    /* valid, but not supported */
  SPARSEC_STATUS_IO_ERROR = 5,         /* the OS refused */
  SPARSEC_STATUS_OUT_OF_RANGE = 6,     /* token, position or buffer size */
  SPARSEC_STATUS_FAILED_PRECONDITION = 7, /* not in this state / build */
  SPARSEC_STATUS_RESOURCE_EXHAUSTED = 8,  /* out of memory */
  SPARSEC_STATUS_INTERNAL = 9,            /* a bug in the runtime */
} sparsec_status_code_t;

/* NULL means OK; anything else is owned by the caller. */
typedef struct sparsec_status_s *sparsec_status_t;

#define sparsec_status_is_ok(status) ((status) == NULL)

/* SPARSEC_STATUS_OK for NULL. */
sparsec_status_code_t sparsec_status_code(sparsec_status_t status);
/* The one-line message ("OK" for NULL); valid until the status is freed. */
const char *sparsec_status_message(sparsec_status_t status);
/* Frees a status; NULL is a no-op. */
void sparsec_status_free(sparsec_status_t status);

/*===----------------------------------------------------------------------===
 * Model
 *===----------------------------------------------------------------------===*/

typedef struct sparsec_model_t sparsec_model_t;

/* Loads DIR/manifest.json and the weights file it names (mapped, not
 * copied), checking that they belong together. *out_model has one
 * reference. */
sparsec_status_t sparsec_model_load(const char *dir,
                                    sparsec_model_t **out_model);
void sparsec_model_retain(sparsec_model_t *model);
/* Drops a reference; NULL is a no-op. */
void sparsec_model_release(sparsec_model_t *model);

typedef struct sparsec_model_info_t {
  /* Strings owned by the model. */
  const char *model_name;
  const char *architecture;
  const char *target;
  const char *source_hash;
  int32_t vocab_size;
  int32_t hidden_size;
  int32_t num_layers;
  int32_t max_len;
  /* The tokenizer's beginning-of-sequence token, or -1. */
  int32_t bos_id;
  /* Number of sparse FFNs (entries of sparsec_session_stats). */
  size_t num_ffns;
  uint64_t kv_cache_bytes;
  /* Size of the weights file's data section. */
  uint64_t weights_bytes;
  uint64_t other_bytes_per_token;
  /* Vectors a --record-activations step leaves after each step
   * (sparsec_model_query_record); 0 for other models. */
  size_t num_records;
  /* Prompt tokens per call of the model's prefill step: the manifest's
   * "prefill_block", at most the KV cache's slots (a sliding window's
   * ring); 0 when it has none. */
  int32_t prefill_block;
} sparsec_model_info_t;

/* Recomputes the XXH3-64 of the weights' data section and compares it with
 * the value the compiler recorded in the weights file: reads the whole file
 * (memory speed once it is cached). */
sparsec_status_t sparsec_model_verify_weights(const sparsec_model_t *model);

sparsec_status_t sparsec_model_query_info(const sparsec_model_t *model,
                                          sparsec_model_info_t *out_info);

typedef enum sparsec_ffn_mode_e {
  SPARSEC_FFN_MODE_DENSE = 0,
  SPARSEC_FFN_MODE_EXACT = 1,
  SPARSEC_FFN_MODE_PREDICTED = 2,
  SPARSEC_FFN_MODE_THRESHOLD = 3,
} sparsec_ffn_mode_t;

/* One sparse FFN of the manifest ("ffns"). */
typedef struct sparsec_ffn_info_t {
  int32_t layer;
  int32_t expert; /* -1 outside an MoE */
  int32_t neurons;
  sparsec_ffn_mode_t mode;
  uint64_t fixed_bytes; /* read whenever it runs */
  uint64_t row_bytes;   /* read per computed neuron */
} sparsec_ffn_info_t;

sparsec_status_t sparsec_model_query_ffn(const sparsec_model_t *model,
                                         size_t index,
                                         sparsec_ffn_info_t *out_info);

/* Bytes of weights one step read, from that step's `count` (= num_ffns)
 * per-FFN neuron counts (sparsec_session_stats). */
sparsec_status_t sparsec_model_bytes_read(const sparsec_model_t *model,
                                          const int32_t *counts, size_t count,
                                          uint64_t *out_bytes);

/* Bytes of KV cache the step at `position` reads: the keys and values of
 * min(position + 1, cache positions) positions (a sliding window's ring
 * holds fewer than max_len). Errors: position outside [0, max_len). */
sparsec_status_t sparsec_model_kv_cache_bytes_read(const sparsec_model_t *model,
                                                   int64_t position,
                                                   uint64_t *out_bytes);

/* Encodes `length` bytes of text (no BOS added). *out_count receives the
 * number of ids; with out_ids NULL only that is computed, otherwise
 * `capacity` must hold them all (else SPARSEC_STATUS_OUT_OF_RANGE). */
sparsec_status_t sparsec_model_tokenize(const sparsec_model_t *model,
                                        const char *text, size_t length,
                                        int32_t *out_ids, size_t capacity,
                                        size_t *out_count);

/* Flags of sparsec_model_tokenize_ex (a bitwise OR). */
typedef enum sparsec_tokenize_flags_e {
  SPARSEC_TOKENIZE_DEFAULT = 0,
  /* Special tokens written in the text ("<|im_start|>", "</s>") become
   * their ids; without it they are tokenized as plain text (user text
   * cannot forge a control token). Set it for rendered chat prompts. */
  SPARSEC_TOKENIZE_PARSE_SPECIAL = 1,
} sparsec_tokenize_flags_t;

/* sparsec_model_tokenize with flags (sparsec_tokenize_flags_t values ORed
 * together; unknown bits are SPARSEC_STATUS_INVALID_ARGUMENT).
 * sparsec_model_tokenize is this with SPARSEC_TOKENIZE_DEFAULT. */
sparsec_status_t sparsec_model_tokenize_ex(const sparsec_model_t *model,
                                           const char *text, size_t length,
                                           uint32_t flags, int32_t *out_ids,
                                           size_t capacity, size_t *out_count);

/* The ids that end generation: the manifest's tokenizer "eos_ids" followed
 * by the tokenizer's own end-of-sequence ids, without repeats (possibly
 * none). Sizes as for sparsec_model_tokenize. */
sparsec_status_t sparsec_model_eos_ids(const sparsec_model_t *model,
                                       int32_t *out_ids, size_t capacity,
                                       size_t *out_count);

/* Writes 1 to *out_is_eos when `token` is one of sparsec_model_eos_ids,
 * else 0. */
sparsec_status_t sparsec_model_is_eos(const sparsec_model_t *model,
                                      int32_t token, int *out_is_eos);

/* The model's chat format (the manifest's tokenizer "chat_template": one of
 * the names sparsec_chat_format_names lists), or NULL in *out_name when it
 * has none. The string is owned by the model. */
sparsec_status_t sparsec_model_query_chat_template(const sparsec_model_t *model,
                                                   const char **out_name);

/* The system message the model's chat template adds when a conversation has
 * none (SmolLM2's "You are a helpful AI assistant named SmolLM, ..."), or
 * NULL. Valid while the model lives. */
sparsec_status_t
sparsec_model_query_chat_default_system(const sparsec_model_t *model,
                                        const char **out_text);

/* The text piece of one token. *out_length receives its length in bytes
 * (a piece may hold a NUL byte); with out_text NULL only that is computed,
 * otherwise `capacity` must be at least length + 1 and the piece is
 * NUL-terminated. */
sparsec_status_t sparsec_model_detokenize(const sparsec_model_t *model,
                                          int32_t token, char *out_text,
                                          size_t capacity, size_t *out_length);

/*===----------------------------------------------------------------------===
 * Detokenizer: generated ids -> text a person reads
 *===----------------------------------------------------------------------===*/

/* Streams generated tokens as UTF-8 text: the bytes of an incomplete
 * character wait for the rest, special tokens (BOS, EOS, chat markers) are
 * left out, and the space SentencePiece prepends is dropped from the first
 * piece. One per stream; used by one thread at a time. Retains the model. */
typedef struct sparsec_detokenizer_t sparsec_detokenizer_t;

sparsec_status_t sparsec_detokenizer_create(sparsec_model_t *model,
                                            sparsec_detokenizer_t **out);
/* NULL is a no-op. */
void sparsec_detokenizer_release(sparsec_detokenizer_t *detokenizer);

/* Adds `token`; *out_text / *out_length receive the text that became
 * complete with it (possibly empty; may hold a NUL byte). The text is owned
 * by the detokenizer, NUL-terminated, and valid until its next call. */
sparsec_status_t sparsec_detokenizer_push(sparsec_detokenizer_t *detokenizer,
                                          int32_t token, const char **out_text,
                                          size_t *out_length);
/* Whatever is still buffered (an incomplete character becomes U+FFFD), as
 * for push. Call it at the end of a stream. */
sparsec_status_t sparsec_detokenizer_flush(sparsec_detokenizer_t *detokenizer,
                                           const char **out_text,
                                           size_t *out_length);
/* Forgets buffered bytes; the next piece is a first piece again (a new
 * reply). */
sparsec_status_t sparsec_detokenizer_reset(sparsec_detokenizer_t *detokenizer);

/*===----------------------------------------------------------------------===
 * Chat formats
 *===----------------------------------------------------------------------===*/

/* One message of a conversation; strings are NUL-terminated UTF-8. */
typedef struct sparsec_chat_message_t {
  const char *role; /* "system", "user" or "assistant" */
  const char *content;
} sparsec_chat_message_t;

/* The known chat formats, comma separated: "chatml, llama2, llama3,
 * mistral, zephyr". Static storage. */
const char *sparsec_chat_format_names(void);

/* Renders `count` messages in chat format `format` the way the model's Jinja
 * chat template does, WITHOUT the leading BOS text (prepend the bos_id of
 * sparsec_model_query_info yourself), and with add_generation_prompt
 * nonzero ending with the opening of the assistant's reply. Encode the text
 * with SPARSEC_TOKENIZE_PARSE_SPECIAL. Output under the
 * sparsec_model_detokenize convention: *out_length receives the length;
 * with out_text NULL only that is computed, otherwise `capacity` must be at
 * least length + 1 and the text is NUL-terminated. Errors: an unknown
 * format, roles the format's template rejects (llama2 and mistral: user and
 * assistant alternating after an optional first system message). See
 * docs/runtime.md for each format's handling of a system message. */
sparsec_status_t sparsec_chat_render(const char *format,
                                     const sparsec_chat_message_t *messages,
                                     size_t count, int add_generation_prompt,
                                     char *out_text, size_t capacity,
                                     size_t *out_length);

/* The text that continues a conversation after an assistant reply that the
 * model generated (and whose tokens are in the session's KV cache): the
 * reply's end-of-turn marker, a user turn holding `user_content`, and with
 * add_generation_prompt the opening of the next reply. Rendering the whole
 * conversation again equals the previous render plus the reply plus this;
 * feeding only this keeps the cache. Output as for sparsec_chat_render. */
sparsec_status_t
sparsec_chat_render_continuation(const char *format, const char *user_content,
                                 int add_generation_prompt, char *out_text,
                                 size_t capacity, size_t *out_length);

/*===----------------------------------------------------------------------===
 * Session: one sequence's KV cache, position and sampler
 *===----------------------------------------------------------------------===*/

typedef struct sparsec_session_t sparsec_session_t;

typedef struct sparsec_session_options_t {
  /* Seed of the sampler's std::mt19937_64. */
  uint64_t seed;
  /* 0 samples greedily (argmax); otherwise logits / temperature. */
  float temperature;
  /* Keep the k most likely tokens; 0 keeps all. */
  int32_t top_k;
  /* Nucleus sampling mass, in (0, 1]; 1 keeps all. */
  float top_p;
  /* Threads running the step's parallel loops, the caller included; 0 uses
     every hardware thread. Results do not depend on it. */
  int32_t num_threads;
  /* Nonzero: time every step and each of its kernels (the step's parallel
     loops), for sparsec_session_query_profile. Costs two clock reads per
     kernel call. */
  int32_t profile;
  /* Nonzero: sparsec_session_prefill runs the prompt token by token through
     the decode step even when the model has a prefill step (which processes
     blocks of prompt tokens with matrix-matrix kernels). */
  int32_t token_by_token;
} sparsec_session_options_t;

/* seed 0, temperature 0 (greedy), top_k 0, top_p 1, num_threads 0,
 * profile 0, token_by_token 0. */
void sparsec_session_options_initialize(sparsec_session_options_t *out_options);

/* Allocates a zeroed KV cache and binds the linked decode step; fails with
 * SPARSEC_STATUS_FAILED_PRECONDITION when no step is linked or its kernel
 * ABI version differs. `options` NULL means the defaults. The session
 * retains the model. */
sparsec_status_t
sparsec_session_create(sparsec_model_t *model,
                       const sparsec_session_options_t *options,
                       sparsec_session_t **out_session);
/* NULL is a no-op. */
void sparsec_session_release(sparsec_session_t *session);

/* Clears the KV cache, rewinds to position 0, forgets the last logits and
 * restarts the sampler from its seed. */
sparsec_status_t sparsec_session_reset(sparsec_session_t *session);

/* Runs the decode step for `token` at the current position, then advances
 * it. out_logits, if not NULL, receives vocab_size floats. Errors: token
 * outside [0, vocab_size), or the context is full (position == max_len). */
sparsec_status_t sparsec_session_step(sparsec_session_t *session, int32_t token,
                                      float *out_logits);

/* Runs every token of a prompt; fails before running any when they do
 * not fit in the rest of the context. A model compiled with a prefill step
 * (manifest "prefill_block") processes the prompt in blocks of that many
 * tokens at once (at most the KV cache's slots, for a sliding window's
 * ring), on the CPU; otherwise (or with options.token_by_token, or for a
 * last single token) each token runs through the decode step. out_logits as for
 * step (the last token's). */
sparsec_status_t sparsec_session_prefill(sparsec_session_t *session,
                                         const int32_t *tokens, size_t count,
                                         float *out_logits);

/* Samples the next token from the last step's logits. */
sparsec_status_t sparsec_session_sample(sparsec_session_t *session,
                                        int32_t *out_token);

/* What a session with options.profile has spent so far (all zeros without
 * it): */
typedef struct sparsec_profile_t {
  int64_t steps;       /* steps run */
  double step_seconds; /* their wall time */
  int64_t num_kernels; /* entries for sparsec_session_query_kernel_profile */
} sparsec_profile_t;

typedef struct sparsec_kernel_profile_t {
  /* The manifest's name for it ("layer 3 ffn (predicted): predictor fc1"),
   * or "kernel K" when the manifest names none; valid until the session's
   * next step. */
  const char *name;
  int64_t calls;
  double seconds; /* wall time of its calls, summed */
} sparsec_kernel_profile_t;

sparsec_status_t sparsec_session_query_profile(const sparsec_session_t *session,
                                               sparsec_profile_t *out_profile);
/* Kernel `kernel` in [0, num_kernels). The time outside every kernel is the
 * step's serial code. */
sparsec_status_t
sparsec_session_query_kernel_profile(const sparsec_session_t *session,
                                     int64_t kernel,
                                     sparsec_kernel_profile_t *out_kernel);

/* The last step's per-FFN neuron counts (num_ffns of them, in the order of
 * sparsec_model_query_ffn; zeros before the first step). Sizes as for
 * sparsec_model_tokenize. */
sparsec_status_t sparsec_session_stats(const sparsec_session_t *session,
                                       int32_t *out_counts, size_t capacity,
                                       size_t *out_count);

/* Record `index` in [0, num_records) of a model compiled with
 * --record-activations: which FFN (sparsec_model_query_ffn's index), its
 * kind ("input": the FFN's input, hidden_size floats; "gate": act(gate x)
 * per neuron; "activation": what each neuron feeds the down projection)
 * and its length. */
typedef struct sparsec_record_info_t {
  size_t ffn;
  const char *kind; /* owned by the model */
  size_t count;
} sparsec_record_info_t;

sparsec_status_t sparsec_model_query_record(const sparsec_model_t *model,
                                            size_t index,
                                            sparsec_record_info_t *out_info);

/* The last step's values of record `index` (count floats), valid until the
 * session's next step. An MoE expert's are only its last run's: whether it
 * ran in the last step is sparsec_session_stats' count > 0. */
sparsec_status_t sparsec_session_record(const sparsec_session_t *session,
                                        size_t index, const float **out_values);

/* The position the next step runs at (the number of tokens stepped). */
int64_t sparsec_session_position(const sparsec_session_t *session);

#ifdef __cplusplus
}
#endif

#endif /* SPARSEC_RUNTIME_H */
