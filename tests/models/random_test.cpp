#include "models/random.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>

namespace apq {
namespace {

using test::moments_of;

constexpr int kDraws = 1'000'000;

// Replays fixed words, to pin down the transforms at their edges.
class FixedSource final : public RandomSource {
public:
  explicit FixedSource(std::vector<uint64_t> words) : words_(std::move(words)) {}
  uint64_t next_u64() override { return words_[i_++ % words_.size()]; }

private:
  std::vector<uint64_t> words_;
  std::size_t i_ = 0;
};

template <class Draw>
std::vector<double> draws(RandomSource& rng, Draw draw) {
  std::vector<double> xs(kDraws);
  for (double& x : xs)
    x = draw(rng);
  return xs;
}

// Golden values: a change that alters any stream of any run must fail here, deliberately. The integer values of
// stream_key and CounterStream were checked against an independent Python transcription of FNV-1a and SplitMix64.
TEST(Random, GoldenStreams) {
  EXPECT_EQ(stream_key(0, ""), 17665956581633026203u);
  EXPECT_EQ(stream_key(42, "guest/0/request"), 6661897846521147749u);
  NamedStream named(42, "guest/0/arrivals");
  EXPECT_EQ(named.next_u64(), 17013914701073174733u);
  EXPECT_EQ(named.next_u64(), 5865781778077698209u);
  EXPECT_EQ(named.next_u64(), 1485511600157872015u);
  CounterStream counter(stream_key(42, "guest/0/request"), 7);
  EXPECT_EQ(counter.next_u64(), 14590628236986522921u);
  EXPECT_EQ(counter.next_u64(), 12698430518204779729u);
  NamedStream transforms(7, "transforms");
  EXPECT_DOUBLE_EQ(transforms.uniform01(), 0.94998523137921642);
  EXPECT_DOUBLE_EQ(transforms.exponential(2), 3.0804489824219354);
  EXPECT_DOUBLE_EQ(transforms.normal(), -0.35261813766917438);
  EXPECT_DOUBLE_EQ(transforms.lognormal_mean_cv(1, 0.5), 0.84266286686468128);
  EXPECT_EQ(transforms.below(1000), 718u);
}

TEST(Random, NamesAndSeedsSelectStreams) {
  NamedStream a1(1, "a"), a2(1, "a"), b(1, "b"), a_other_seed(2, "a");
  uint64_t x = a1.next_u64();
  EXPECT_EQ(x, a2.next_u64());
  EXPECT_NE(x, b.next_u64());
  EXPECT_NE(x, a_other_seed.next_u64());
  CounterStream c1(5, 0), c2(5, 0), c3(5, 1), c4(6, 0);
  uint64_t y = c1.next_u64();
  EXPECT_EQ(y, c2.next_u64());
  EXPECT_NE(y, c3.next_u64());
  EXPECT_NE(y, c4.next_u64());
}

TEST(Random, CounterStreamIsTiny) {
  static_assert(sizeof(CounterStream) <= 16);
}

TEST(Random, UniformIsStrictlyInsideTheUnitInterval) {
  FixedSource extremes({0, uint64_t{1} << 11, ~uint64_t{0}});
  double low = extremes.uniform01(); // the all-zero word is skipped
  double high = extremes.uniform01();
  EXPECT_EQ(low, 0x1.0p-53);
  EXPECT_EQ(high, 1 - 0x1.0p-53);
  EXPECT_TRUE(std::isfinite(extremes.exponential(1)));
}

TEST(Random, ExponentialMoments) {
  NamedStream rng(11, "exp");
  auto m = moments_of(draws(rng, [](RandomSource& r) { return r.exponential(2.0); }));
  EXPECT_NEAR(m.mean, 2.0, 4 * m.se_mean);
  EXPECT_NEAR(m.variance, 4.0, 4 * m.se_variance);
}

TEST(Random, NormalMoments) {
  NamedStream rng(12, "normal");
  auto m = moments_of(draws(rng, [](RandomSource& r) { return r.normal(); }));
  EXPECT_NEAR(m.mean, 0.0, 4 * m.se_mean);
  EXPECT_NEAR(m.variance, 1.0, 4 * m.se_variance);
}

TEST(Random, LognormalMoments) {
  NamedStream rng(13, "lognormal");
  auto m = moments_of(draws(rng, [](RandomSource& r) { return r.lognormal_mean_cv(3.0, 0.5); }));
  EXPECT_NEAR(m.mean, 3.0, 4 * m.se_mean);
  EXPECT_NEAR(m.variance, 1.5 * 1.5, 4 * m.se_variance);
  EXPECT_EQ(rng.lognormal_mean_cv(3.0, 0), 3.0);
}

TEST(Random, UniformMoments) {
  CounterStream rng(14, 0); // also exercises a counter stream over a long run
  auto m = moments_of(draws(rng, [](RandomSource& r) { return r.uniform(2.0, 4.0); }));
  EXPECT_NEAR(m.mean, 3.0, 4 * m.se_mean);
  EXPECT_NEAR(m.variance, 4.0 / 12, 4 * m.se_variance);
}

TEST(Random, BelowIsUnbiased) {
  NamedStream rng(15, "below");
  constexpr uint64_t n = 3;
  std::array<int, n> counts{};
  constexpr int total = 300'000;
  for (int i = 0; i < total; ++i)
    ++counts[rng.below(n)];
  double p = 1.0 / n;
  double se = std::sqrt(total * p * (1 - p));
  for (int c : counts)
    EXPECT_NEAR(c, total * p, 4 * se);
  EXPECT_EQ(rng.below(1), 0u);
  EXPECT_THROW(rng.below(0), std::invalid_argument);
}

} // namespace
} // namespace apq
