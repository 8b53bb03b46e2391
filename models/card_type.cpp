#include "models/card_type.hpp"

#include "models/units.hpp"

#include <cmath>
#include <limits>
#include <set>

namespace apq {
namespace {

// zcrypt normalized speed ratings from zcrypt_cex4_card_probe() in drivers/s390/crypto/zcrypt_cex4.c (Linux),
// columns MEX_1K MEX_2K MEX_4K CRT_1K CRT_2K CRT_4K HWRNG SECKEY (models/README.md, "Cards and calibration"). CEX8
// repeats the CEX7 figures in the driver. A zero means "not supported".
struct Ratings {
  const char* generation;
  char mode; // 'A' accelerator, 'C' CCA coprocessor, 'P' EP11 coprocessor
  std::array<int, 6> rsa;
  int rng;
  int seckey;
};

constexpr std::array<Ratings, 12> kRatings{{
    {"CEX5", 'A', {8, 9, 20, 18, 66, 458}, 0, 0},
    {"CEX6", 'A', {6, 9, 20, 17, 65, 438}, 0, 0},
    {"CEX7", 'A', {6, 8, 17, 15, 54, 362}, 0, 0},
    {"CEX8", 'A', {6, 8, 17, 15, 54, 362}, 0, 0},
    {"CEX5", 'C', {24, 31, 50, 37, 90, 479}, 27, 10},
    {"CEX6", 'C', {16, 20, 32, 27, 77, 455}, 24, 9},
    {"CEX7", 'C', {14, 16, 26, 23, 64, 376}, 23, 8},
    {"CEX8", 'C', {14, 16, 26, 23, 64, 376}, 23, 8},
    {"CEX5", 'P', {0, 0, 0, 0, 0, 0}, 0, 10},
    {"CEX6", 'P', {0, 0, 0, 0, 0, 0}, 0, 9},
    {"CEX7", 'P', {0, 0, 0, 0, 0, 0}, 0, 8},
    {"CEX8", 'P', {0, 0, 0, 0, 0, 0}, 0, 8},
}};

// CPRB class factors LOW/MEDIUM/HIGH from zcrypt_msgtype6.h; ECC costs a MEDIUM CPRB (calibration section 4).
constexpr int kLowFactor = 10;
constexpr int kMediumFactor = 100;
constexpr int kHighFactor = 500;

// Engines per mode are ASSUMED (calibration section 4): nothing published gives them.
int default_engines(char mode) {
  return mode == 'A' ? 4 : 2;
}

constexpr double kDefaultScale = 1e-6; // seconds of occupancy per rating unit (calibration section 4: k = 1 us)
constexpr int64_t kDefaultQueueDepth = 8;
constexpr int64_t kMaxCount = 1 << 20;

int read_count(const ConfigNode& card, std::string_view key, std::optional<int64_t> fallback) {
  int64_t value = fallback ? card.integer_or(key, *fallback) : card.integer(key);
  if (value < 1 || value > kMaxCount)
    card.fail(key, "must be between 1 and " + std::to_string(kMaxCount) + ", got " + std::to_string(value));
  return static_cast<int>(value);
}

std::array<double, kOperationCount> weights_of(const Ratings& r) {
  std::array<double, kOperationCount> w{};
  for (std::size_t i = 0; i < r.rsa.size(); ++i)
    w[index_of(Operation::rsa_me_1k) + i] = r.rsa[i];
  w[index_of(Operation::rng)] = r.rng;
  w[index_of(Operation::seckey_low)] = r.seckey * kLowFactor;
  w[index_of(Operation::seckey_medium)] = r.seckey * kMediumFactor;
  w[index_of(Operation::seckey_high)] = r.seckey * kHighFactor;
  w[index_of(Operation::ecc)] = r.seckey * kMediumFactor;
  return w;
}

std::string type_name(const Ratings& r) {
  return std::string(r.generation) + r.mode;
}

// A request holds the whole card for scale * weight; spread over `engines` servers, each one is busy
// engines * scale * weight (calibration section 4: CEX7A CRT-2k on 4 engines = 216us).
CardType make_typed(const Ratings& ratings, const ConfigNode& card) {
  CardType type;
  type.name = type_name(ratings);
  double scale = card.duration_or("scale", kDefaultScale);
  if (!(scale > 0))
    card.fail("scale", "must be > 0");
  type.engines = read_count(card, "engines", default_engines(ratings.mode));
  type.queue_depth = read_count(card, "queue_depth", kDefaultQueueDepth);
  type.weight = weights_of(ratings);

  auto mean_of = [&](Operation op) { return type.engines * scale * type.weight[index_of(op)]; };
  DistributionPtr shape = deterministic_distribution(1);
  if (auto service = card.table_opt("service")) {
    // Checked on the raw table so that these keys do not join the valid keys of a later unknown-key message.
    for (const char* key : {"mean", "value", "min", "max"})
      if (service->toml().contains(key))
        service->fail(key, "a typed card's service table gives only the shape (dist, cv, file): the mean comes from "
                           "the rating; change 'scale' instead");
    shape = make_distribution(*service, mean_of(Operation::rsa_crt_2k) > 0 ? mean_of(Operation::rsa_crt_2k)
                                                                           : mean_of(Operation::seckey_medium));
  }
  for (Operation op : all_operations()) {
    if (type.weight[index_of(op)] <= 0)
      continue;
    try {
      type.service[index_of(op)] = shape->scaled_to_mean(mean_of(op));
    } catch (const std::invalid_argument& e) {
      card.fail("service", e.what());
    }
  }
  return type;
}

// The operation named by element i of the array `key`, failing located at that element.
Operation op_at(const ConfigNode& card, std::string_view key, std::size_t i, const std::string& name) {
  if (auto op = find_operation(name))
    return *op;
  card.fail_at(*card.raw(key)->as_array()->get(i),
               card.key_path(key) + "[" + std::to_string(i) + "]: " + unknown_operation_message(name));
}

CardType make_custom(const ConfigNode& card) {
  CardType type;
  type.name = "custom";
  type.engines = read_count(card, "engines", std::nullopt);
  type.queue_depth = read_count(card, "queue_depth", kDefaultQueueDepth);

  std::array<bool, kOperationCount> supported{};
  if (card.has("ops")) {
    auto names = card.strings("ops");
    if (names.empty())
      card.fail("ops", "must list at least one operation; valid: " + operation_names());
    for (std::size_t i = 0; i < names.size(); ++i)
      supported[index_of(op_at(card, "ops", i, names[i]))] = true;
  } else {
    supported.fill(true);
  }

  DistributionPtr fallback;
  if (auto service = card.table_opt("service"))
    fallback = make_distribution(*service);

  std::array<DistributionPtr, kOperationCount> chosen{};
  if (auto overrides = card.table_opt("op_service")) {
    for (const std::string& key : overrides->keys()) {
      auto op = find_operation(key);
      if (!op)
        overrides->fail(key, unknown_operation_message(key));
      if (!supported[index_of(*op)])
        overrides->fail(key, "operation '" + key + "' is not in " + card.key_path("ops"));
      chosen[index_of(*op)] = make_distribution(overrides->table(key));
    }
  }

  std::string uncovered;
  for (Operation op : all_operations()) {
    std::size_t i = index_of(op);
    if (!supported[i])
      continue;
    if (!chosen[i])
      chosen[i] = fallback;
    if (!chosen[i]) {
      uncovered += (uncovered.empty() ? "" : ", ") + std::string(operation_name(op));
      continue;
    }
    type.service[i] = chosen[i];
    // The weight the guest's zcrypt would see, so that queue selection balances in the same units as the ratings.
    type.weight[i] = std::max(1.0, std::round(chosen[i]->mean() / type.engines / kDefaultScale));
  }
  if (!uncovered.empty())
    card.fail("missing required key 'service' (the default service time), needed by the operations without an "
              "op_service entry: " +
              uncovered);
  return type;
}

const std::vector<ParamDoc>& typed_params() {
  static const std::vector<ParamDoc> params{
      {"scale", "duration", "1us", "card occupancy per rating unit (k); engine occupancy = engines * scale * rating"},
      {"engines", "integer", "A: 4, C: 2, P: 2", "parallel engines shared by all queues of the card"},
      {"queue_depth", "integer", "8", "requests in the card per AP queue"},
      {"service", "table", "{ dist = \"deterministic\" }",
       "shape of the service time (dist and cv, or an empirical file), scaled to each operation's mean"},
  };
  return params;
}

const char* mode_description(char mode) {
  switch (mode) {
  case 'A':
    return "accelerator (clear-key RSA only)";
  case 'C':
    return "CCA coprocessor (RSA, RNG, secure key, ECC)";
  default:
    return "EP11 coprocessor (secure key and ECC only)";
  }
}

} // namespace

const CardTypeRegistry& card_type_registry() {
  static const CardTypeRegistry registry = [] {
    CardTypeRegistry r("card type");
    for (const Ratings& ratings : kRatings)
      r.add({type_name(ratings),
             std::string(ratings.generation) + "S in " + mode_description(ratings.mode) + ", zcrypt speed ratings",
             typed_params(), [&ratings](const ConfigNode& card) { return make_typed(ratings, card); }});
    r.add({"custom",
           "explicit engines and service-time distributions; weights derived from the mean service times",
           {{"engines", "integer", "", "parallel engines shared by all queues of the card"},
            {"queue_depth", "integer", "8", "requests in the card per AP queue"},
            {"service", "table", "",
             "service-time distribution (with its mean) of every operation without an "
             "op_service entry"},
            {"op_service", "table", "none", "operation name -> service-time distribution"},
            {"ops", "string", "all", "array of the operation names the card supports"}},
           make_custom});
    return r;
  }();
  return registry;
}

CardType make_card_type(const ConfigNode& card) {
  return card.choose(card_type_registry(), "type").make(card);
}

} // namespace apq
