// Private, portable random streams. Every transform is our own: std:: distributions give different numbers on
// different standard libraries, and results must be byte-identical everywhere for a given seed.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string_view>

namespace apq {

/** A source of 64-bit words plus the transforms the models need. */
class RandomSource {
public:
  virtual ~RandomSource();
  virtual uint64_t next_u64() = 0;

  /** Uniform in the open interval (0, 1): k / 2^53 for a random 53-bit k != 0; never 0 (so log() is safe) and
   *  never 1. */
  double uniform01();
  /** Uniform in (a, b). */
  double uniform(double a, double b);
  /** Exponential with the given mean, by inversion (one draw). */
  double exponential(double mean);
  /** Standard normal, by Box-Muller (two draws, the second variate is discarded so that no state is kept). */
  double normal();
  /** Lognormal with the given mean and coefficient of variation; cv = 0 returns `mean` and draws nothing. */
  double lognormal_mean_cv(double mean, double cv);
  /** Uniform integer in [0, n), unbiased (rejection); n must be > 0. */
  uint64_t below(uint64_t n);
};

/** SplitMix64's output function (Steele, Lea, Flood 2014): a bijective 64-bit mixer. */
uint64_t mix64(uint64_t x);

/** The key of the stream `name` of a run: SplitMix64 mix of (run_seed XOR FNV-1a-64(name)). */
uint64_t stream_key(uint64_t run_seed, std::string_view name);

/** A long-lived stream (per guest, per admin process): mt19937_64 seeded with stream_key(run_seed, name). The
 *  standard fixes mt19937_64's output exactly, unlike the distributions. */
class NamedStream final : public RandomSource {
public:
  NamedStream(uint64_t run_seed, std::string_view name);
  explicit NamedStream(uint64_t key);
  uint64_t next_u64() override { return engine_(); }

private:
  std::mt19937_64 engine_;
};

/** A NamedStream built at its first draw: a stream that may never be drawn from (a guest's operation mix of one
 *  operation, its queue resets) costs 16 bytes instead of mt19937_64's 2.5 KB. The same numbers as NamedStream(key). */
class LazyStream final : public RandomSource {
public:
  explicit LazyStream(uint64_t key) : key_(key) {}
  uint64_t next_u64() override {
    if (!stream_)
      stream_ = std::make_unique<NamedStream>(key_);
    return stream_->next_u64();
  }

private:
  uint64_t key_;
  std::unique_ptr<NamedStream> stream_;
};

/** A tiny stream for one request: draws i of request `index` under `key` (see stream_key). 8 bytes of state and a
 *  constant-time constructor, so the service demand of request i is the same whatever else the run does. */
class CounterStream final : public RandomSource {
public:
  CounterStream(uint64_t key, uint64_t index);
  uint64_t next_u64() override;

private:
  uint64_t state_;
};

} // namespace apq
