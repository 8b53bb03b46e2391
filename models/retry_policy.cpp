#include "models/retry_policy.hpp"

#include "models/strategy.hpp"
#include "models/units.hpp"

#include <algorithm>
#include <cmath>

namespace apq {

namespace {

class NoRetry final : public RetryPolicy {
public:
  NoRetry() : RetryPolicy(1, {}) {}
  double delay(int, RandomSource&) const override { return 0; }
  std::string describe() const override { return "none"; }
};

class FixedDelay final : public RetryPolicy {
public:
  FixedDelay(double delay, int max_attempts, std::vector<std::string> on)
      : RetryPolicy(max_attempts, std::move(on)), delay_(delay) {}
  double delay(int, RandomSource&) const override { return delay_; }
  std::string describe() const override {
    return delay_ == 0 ? "immediate" : "fixed " + units::format_duration(delay_);
  }

private:
  double delay_;
};

/** base x 2^(n-1), capped; jitter j draws the delay uniformly from [(1-j) d, d] (j = 1: "full jitter"). */
class ExponentialBackoff final : public RetryPolicy {
public:
  ExponentialBackoff(double base, double cap, double jitter, int max_attempts, std::vector<std::string> on)
      : RetryPolicy(max_attempts, std::move(on)), base_(base), cap_(cap), jitter_(jitter) {}
  double delay(int attempts_made, RandomSource& rng) const override {
    const double d = std::min(cap_, base_ * std::ldexp(1.0, std::max(0, attempts_made - 1)));
    return jitter_ > 0 ? d * (1 - jitter_ * rng.uniform01()) : d;
  }
  std::string describe() const override {
    return "exponential " + units::format_duration(base_) + " x2 up to " + units::format_duration(cap_);
  }

private:
  double base_;
  double cap_;
  double jitter_;
};

int read_attempts(const ConfigNode& node) {
  const int64_t n = node.integer_or("max_attempts", 10);
  if (n < 1 || n > 1000000)
    node.fail("max_attempts", "must be between 1 and 1000000");
  return static_cast<int>(n);
}

std::vector<std::string> read_on(const ConfigNode& node) {
  std::vector<std::string> on = node.has("on") ? node.strings("on") : std::vector<std::string>{"EBUSY", "EAGAIN"};
  // Only an errno an operation can return ever fires: a misspelt one would silently never retry.
  const std::vector<std::string>& known = strategy_vocabulary().errnos;
  for (std::size_t i = 0; i < on.size(); ++i)
    if (std::find(known.begin(), known.end(), on[i]) == known.end())
      node.fail_at(*node.raw("on")->as_array()->get(i),
                   node.key_path("on") + "[" + std::to_string(i) + "]: " + unknown_name_message("errno", on[i], known));
  return on;
}

const std::vector<ParamDoc> kCommon = {
    {"max_attempts", "integer", "10", "attempts in all, the first included"},
    {"on", "string", "[\"EBUSY\", \"EAGAIN\"]", "array of the errno names worth a retry"},
};

std::vector<ParamDoc> with_common(std::vector<ParamDoc> params) {
  params.insert(params.end(), kCommon.begin(), kCommon.end());
  return params;
}

} // namespace

bool RetryPolicy::retries(const std::string& error, int attempts_made) const {
  return attempts_made < max_attempts_ && std::find(retry_on_.begin(), retry_on_.end(), error) != retry_on_.end();
}

RetryPolicyPtr no_retry() {
  return std::make_shared<NoRetry>();
}

const RetryPolicyRegistry& retry_policy_registry() {
  static const RetryPolicyRegistry registry = [] {
    RetryPolicyRegistry r("retry policy");
    r.add({"none", "give up at the first failure", {}, [](const ConfigNode&) { return no_retry(); }});
    r.add({"immediate", "try again at once (a busy loop)", with_common({}), [](const ConfigNode& n) -> RetryPolicyPtr {
             return std::make_shared<FixedDelay>(0.0, read_attempts(n), read_on(n));
           }});
    r.add({"fixed", "wait a fixed delay between attempts",
           with_common({{"delay", "duration", "", "the wait between attempts"}}),
           [](const ConfigNode& n) -> RetryPolicyPtr {
             return std::make_shared<FixedDelay>(n.duration("delay"), read_attempts(n), read_on(n));
           }});
    r.add({"exponential", "exponential backoff: base, 2 base, 4 base ... up to max, optionally jittered",
           with_common({{"base", "duration", "", "the first wait"},
                        {"max", "duration", "1s", "the longest wait"},
                        {"jitter", "number", "0", "0..1: the wait is drawn from [(1 - jitter) d, d]"}}),
           [](const ConfigNode& n) -> RetryPolicyPtr {
             const double base = n.duration("base");
             const double cap = n.duration_or("max", 1.0);
             const double jitter = n.number_or("jitter", 0.0);
             if (!(base > 0))
               n.fail("base", "must be longer than 0s");
             if (cap < base)
               n.fail("max", "must be at least base");
             if (jitter < 0 || jitter > 1)
               n.fail("jitter", "must be between 0 and 1");
             return std::make_shared<ExponentialBackoff>(base, cap, jitter, read_attempts(n), read_on(n));
           }});
    return r;
  }();
  return registry;
}

RetryPolicyPtr make_retry_policy(const ConfigNode& table) {
  const auto& entry = table.choose(retry_policy_registry(), "policy");
  RetryPolicyPtr policy = entry.make(table);
  table.reject_unknown_keys();
  return policy;
}

} // namespace apq
