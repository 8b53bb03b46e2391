#include "models/random.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>

namespace apq {
namespace {
constexpr uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ULL; // SplitMix64 increment: 2^64 / golden ratio, odd
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;   // FNV-1a 64-bit parameters (Fowler, Noll, Vo)
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;
} // namespace

RandomSource::~RandomSource() = default;

double RandomSource::uniform01() {
  // k / 2^53 is exact for every 53-bit k; rejecting k = 0 (once in 2^53 draws) keeps log() finite. Adding 0.5
  // instead would round the top value up to 1.0.
  for (;;) {
    uint64_t k = next_u64() >> 11;
    if (k != 0)
      return static_cast<double>(k) * 0x1.0p-53;
  }
}

double RandomSource::uniform(double a, double b) {
  return a + (b - a) * uniform01();
}

double RandomSource::exponential(double mean) {
  return -mean * std::log(uniform01());
}

double RandomSource::normal() {
  double u1 = uniform01();
  double u2 = uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double RandomSource::lognormal_mean_cv(double mean, double cv) {
  if (cv == 0)
    return mean;
  double sigma2 = std::log1p(cv * cv);
  double mu = std::log(mean) - sigma2 / 2;
  return std::exp(mu + std::sqrt(sigma2) * normal());
}

uint64_t RandomSource::below(uint64_t n) {
  if (n == 0)
    throw std::invalid_argument("RandomSource::below(): n must be > 0");
  // Reject the lowest 2^64 mod n words so that every residue is equally likely.
  uint64_t threshold = (0 - n) % n;
  for (;;) {
    uint64_t x = next_u64();
    if (x >= threshold)
      return x % n;
  }
}

uint64_t mix64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t stream_key(uint64_t run_seed, std::string_view name) {
  uint64_t hash = kFnvOffset;
  for (char c : name) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kFnvPrime;
  }
  return mix64(run_seed ^ hash);
}

NamedStream::NamedStream(uint64_t run_seed, std::string_view name) : engine_(stream_key(run_seed, name)) {}

NamedStream::NamedStream(uint64_t key) : engine_(key) {}

// The index is mixed before it meets the key, so that streams of neighbouring requests start far apart.
CounterStream::CounterStream(uint64_t key, uint64_t index) : state_(mix64(key ^ mix64(index + kGoldenGamma))) {}

uint64_t CounterStream::next_u64() {
  state_ += kGoldenGamma;
  return mix64(state_);
}

} // namespace apq
