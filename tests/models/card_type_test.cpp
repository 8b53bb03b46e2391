#include "models/card_type.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

namespace apq {
namespace {

using test::error_of;
using test::parse_toml;

double mean_of(const CardType& type, Operation op) {
  return type.service[index_of(op)]->mean();
}
double weight_of(const CardType& type, Operation op) {
  return type.weight[index_of(op)];
}

CardType card_from(std::string_view text) {
  auto doc = parse_toml(text, "cards.toml");
  return make_card_type(ConfigNode(doc, "cards[0]"));
}

TEST(CardType, Cex8aFollowsTheCalibration) {
  // Calibration section 4: CRT-2k weighs 54; with 4 engines and 1us per unit an engine is busy 4 * 54us.
  CardType t = card_from(R"(type = "CEX8A")");
  EXPECT_EQ(t.name, "CEX8A");
  EXPECT_EQ(t.engines, 4);
  EXPECT_EQ(t.queue_depth, 8);
  EXPECT_EQ(weight_of(t, Operation::rsa_crt_2k), 54);
  EXPECT_DOUBLE_EQ(mean_of(t, Operation::rsa_crt_2k), 216e-6);
  EXPECT_EQ(t.service[index_of(Operation::rsa_crt_2k)]->cv(), 0.0);
  EXPECT_DOUBLE_EQ(mean_of(t, Operation::rsa_me_1k), 4 * 6e-6);
  EXPECT_FALSE(t.supports(Operation::rng));
  EXPECT_FALSE(t.supports(Operation::seckey_low));
  EXPECT_FALSE(t.supports(Operation::ecc));
}

TEST(CardType, CoprocessorSecureKeyClasses) {
  CardType t = card_from(R"(type = "CEX7C")");
  EXPECT_EQ(t.engines, 2);
  EXPECT_EQ(weight_of(t, Operation::seckey_low), 80);
  EXPECT_EQ(weight_of(t, Operation::seckey_medium), 800);
  EXPECT_EQ(weight_of(t, Operation::seckey_high), 4000);
  EXPECT_EQ(weight_of(t, Operation::ecc), 800);
  EXPECT_EQ(weight_of(t, Operation::rng), 23);
  EXPECT_DOUBLE_EQ(mean_of(t, Operation::seckey_high), 2 * 4000e-6);
  EXPECT_TRUE(t.supports(Operation::rsa_crt_4k));
  EXPECT_EQ(weight_of(card_from(R"(type = "CEX5C")"), Operation::rsa_crt_2k), 90);
  EXPECT_EQ(weight_of(card_from(R"(type = "CEX6A")"), Operation::rsa_crt_4k), 438);
}

TEST(CardType, Ep11ModeDoesOnlySecureKeyAndEcc) {
  CardType t = card_from(R"(type = "CEX8P")");
  for (Operation op : {Operation::rsa_me_1k, Operation::rsa_me_2k, Operation::rsa_me_4k, Operation::rsa_crt_1k,
                       Operation::rsa_crt_2k, Operation::rsa_crt_4k, Operation::rng}) {
    EXPECT_FALSE(t.supports(op)) << operation_name(op);
    EXPECT_EQ(t.service[index_of(op)], nullptr);
  }
  EXPECT_TRUE(t.supports(Operation::seckey_low));
  EXPECT_TRUE(t.supports(Operation::ecc));
  EXPECT_EQ(weight_of(card_from(R"(type = "CEX5P")"), Operation::seckey_high), 5000);
}

TEST(CardType, TypedCardOverrides) {
  CardType t = card_from(R"(type = "cex7a"
scale = "2us"
engines = 2
queue_depth = 4
service = { dist = "lognormal", cv = 0.3 })");
  EXPECT_EQ(t.name, "CEX7A");
  EXPECT_EQ(t.engines, 2);
  EXPECT_EQ(t.queue_depth, 4);
  EXPECT_DOUBLE_EQ(mean_of(t, Operation::rsa_crt_2k), 2 * 2e-6 * 54);
  EXPECT_DOUBLE_EQ(mean_of(t, Operation::rsa_crt_4k), 2 * 2e-6 * 362);
  EXPECT_DOUBLE_EQ(t.service[index_of(Operation::rsa_crt_4k)]->cv(), 0.3);
}

TEST(CardType, TypedCardErrors) {
  EXPECT_EQ(error_of([] { card_from("type = \"CEX7A\"\nservice = { dist = \"exponential\", mean = \"1ms\" }"); }),
            "cards.toml:2:42: error: cards[0].service.mean: a typed card's service table gives only the shape (dist, "
            "cv, file): the mean comes from the rating; change 'scale' instead");
  EXPECT_EQ(error_of([] { card_from("type = \"CEX7A\"\nengines = 0"); }),
            "cards.toml:2:11: error: cards[0].engines: must be between 1 and 1048576, got 0");
  EXPECT_EQ(error_of([] { card_from("type = \"CEX9A\""); }),
            "cards.toml:1:8: error: cards[0].type: unknown card type 'CEX9A'; did you mean 'CEX5A', 'CEX6A', "
            "'CEX7A' or 'CEX8A'? valid: CEX5A, CEX6A, CEX7A, CEX8A, CEX5C, CEX6C, CEX7C, CEX8C, CEX5P, CEX6P, CEX7P, "
            "CEX8P, custom");
  EXPECT_EQ(error_of([] { card_from("type = \"CEX7A\"\nservice = { dist = \"lognormal\", cv = 0.3, cvv = 1 }"); }),
            "cards.toml:2:43: error: unknown key 'cvv' in cards[0].service; did you mean 'cv'? valid keys: cv, dist, "
            "mean");
}

TEST(CardType, LeavesOtherKeysToTheCaller) {
  auto doc = parse_toml("type = \"CEX8C\"\nids = \"0x00-0x03\"\nidz = 1\n", "cards.toml");
  ConfigNode card(doc, "cards[0]");
  make_card_type(card);
  card.has("ids"); // what the scenario loader reads itself
  EXPECT_EQ(error_of([&] { card.reject_unknown_keys(); }),
            "cards.toml:3:1: error: unknown key 'idz' in cards[0]; did you mean 'ids'? valid keys: engines, ids, "
            "queue_depth, scale, service, type");
}

TEST(CardType, CustomCard) {
  CardType t = card_from(R"(type = "custom"
engines = 2
queue_depth = 16
ops = ["rsa_crt_2k", "rsa_crt_4k"]
service = { dist = "exponential", mean = "100us" }
op_service = { rsa_crt_4k = { dist = "deterministic", value = "1ms" } })");
  EXPECT_EQ(t.name, "custom");
  EXPECT_EQ(t.engines, 2);
  EXPECT_EQ(t.queue_depth, 16);
  EXPECT_TRUE(t.supports(Operation::rsa_crt_2k));
  EXPECT_TRUE(t.supports(Operation::rsa_crt_4k));
  EXPECT_FALSE(t.supports(Operation::rsa_me_2k));
  EXPECT_DOUBLE_EQ(mean_of(t, Operation::rsa_crt_2k), 100e-6);
  EXPECT_EQ(t.service[index_of(Operation::rsa_crt_2k)]->cv(), 1.0);
  EXPECT_DOUBLE_EQ(mean_of(t, Operation::rsa_crt_4k), 1e-3);
  EXPECT_EQ(weight_of(t, Operation::rsa_crt_2k), 50);  // 100us / 2 engines / 1us
  EXPECT_EQ(weight_of(t, Operation::rsa_crt_4k), 500); // 1ms / 2 engines / 1us
  CardType tiny = card_from("type = \"custom\"\nengines = 8\nservice = { dist = \"deterministic\", value = \"1us\" }");
  EXPECT_EQ(weight_of(tiny, Operation::rng), 1); // never below 1: a zero weight means "not supported"
  EXPECT_TRUE(tiny.supports(Operation::ecc));
}

TEST(CardType, CustomCardErrors) {
  EXPECT_EQ(error_of([] { card_from("type = \"custom\"\nengines = 2\nops = [\"rsa_crt_2k\", \"rsa_crt_8k\"]"); }),
            "cards.toml:3:22: error: cards[0].ops[1]: unknown operation 'rsa_crt_8k'; did you mean 'rsa_crt_1k', "
            "'rsa_crt_2k' or 'rsa_crt_4k'? valid: rsa_me_1k, rsa_me_2k, rsa_me_4k, rsa_crt_1k, rsa_crt_2k, rsa_crt_4k, "
            "rng, seckey_low, seckey_medium, seckey_high, ecc");
  EXPECT_EQ(error_of([] {
              card_from("type = \"custom\"\nengines = 2\nops = [\"rng\", \"ecc\"]\n"
                        "op_service = { rng = { dist = \"deterministic\", value = \"1us\" } }");
            }),
            "cards.toml:1:1: error: cards[0]: missing required key 'service' (the default service time), needed by "
            "the operations without an op_service entry: ecc");
  EXPECT_EQ(error_of([] {
              card_from("type = \"custom\"\nengines = 2\nops = [\"rng\"]\n"
                        "op_service = { ecc = { dist = \"deterministic\", value = \"1us\" } }");
            }),
            "cards.toml:4:22: error: cards[0].op_service.ecc: operation 'ecc' is not in cards[0].ops");
  EXPECT_EQ(error_of([] { card_from("type = \"custom\"\nservice = { dist = \"exponential\", mean = \"1ms\" }"); }),
            "cards.toml:1:1: error: cards[0]: missing required key 'engines'");
  EXPECT_EQ(error_of([] { card_from("type = \"custom\"\nengines = 1\nservice = { dist = \"exponential\" }"); }),
            "cards.toml:3:11: error: cards[0].service: missing required key 'mean'");
}

} // namespace
} // namespace apq
