#include "models/op_mix.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace apq {
namespace {

using test::error_of;
using test::parse_toml;

OperationMix mix_from(std::string_view text) {
  auto doc = parse_toml(text, "guest.toml");
  return OperationMix::from_config(ConfigNode(doc, "guests[0]"));
}

// Counts how many words were drawn, to check that a one-operation mix draws none.
class CountingSource final : public RandomSource {
public:
  uint64_t next_u64() override { return ++draws; }
  int draws = 0;
};

TEST(OperationMix, FrequenciesFollowTheWeights) {
  OperationMix mix = mix_from("ops = { rsa_crt_2k = 3, rsa_me_2k = 1 }");
  ASSERT_EQ(mix.weights().size(), 2u);
  EXPECT_EQ(mix.weights()[0].first, Operation::rsa_crt_2k);
  EXPECT_DOUBLE_EQ(mix.weights()[0].second, 0.75);
  EXPECT_DOUBLE_EQ(mix.weights()[1].second, 0.25);
  NamedStream rng(3, "mix");
  constexpr int n = 200'000;
  std::map<Operation, int> counts;
  for (int i = 0; i < n; ++i)
    ++counts[mix.pick(rng)];
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_NEAR(counts[Operation::rsa_crt_2k], 0.75 * n, 4 * std::sqrt(n * 0.75 * 0.25));
}

TEST(OperationMix, OneOperationDrawsNothing) {
  CountingSource rng;
  EXPECT_EQ(mix_from("op = \"ECC\"").pick(rng), Operation::ecc);
  EXPECT_EQ(mix_from("name = \"g\"").pick(rng), Operation::rsa_crt_2k); // the default
  EXPECT_EQ(rng.draws, 0);
}

TEST(OperationMix, ConfigErrors) {
  EXPECT_EQ(error_of([] { mix_from("op = \"rng\"\nops = { rng = 1 }"); }),
            "guest.toml:2:7: error: guests[0].ops: give either op (one operation) or ops (a table of weights), not "
            "both");
  EXPECT_EQ(error_of([] { mix_from("op = \"rsa\""); }),
            "guest.toml:1:6: error: guests[0].op: unknown operation 'rsa'; valid: " + operation_names());
  EXPECT_EQ(error_of([] { mix_from("ops = { rng = 1, rsa = 2 }"); }),
            "guest.toml:1:24: error: guests[0].ops.rsa: unknown operation 'rsa'; valid: " + operation_names());
  EXPECT_EQ(error_of([] { mix_from("ops = { rng = 0 }"); }),
            "guest.toml:1:15: error: guests[0].ops.rng: the weight must be a number > 0, got 0");
  EXPECT_EQ(error_of([] { mix_from("ops = {}"); }),
            "guest.toml:1:7: error: guests[0].ops: must list at least one operation with its weight, like "
            "{ rsa_crt_2k = 1 }");
  EXPECT_THROW(OperationMix({{Operation::rng, 1}, {Operation::rng, 2}}), std::invalid_argument);
  EXPECT_THROW(OperationMix({}), std::invalid_argument);
}

} // namespace
} // namespace apq
