#pragma once
// What an admin tool or script does when a reconfiguration fails with -EBUSY: give up, try again at once, after a
// fixed delay, or with exponential backoff and jitter; always within a budget of attempts.

#include "models/config_node.hpp"
#include "models/random.hpp"
#include "models/registry.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace apq {

class RetryPolicy {
public:
  RetryPolicy(int max_attempts, std::vector<std::string> retry_on)
      : max_attempts_(max_attempts), retry_on_(std::move(retry_on)) {}
  virtual ~RetryPolicy() = default;

  /** Whether a failure with `error` (an errno name) is worth another attempt after `attempts_made`. */
  bool retries(const std::string& error, int attempts_made) const;
  /** The wait before the next attempt, `attempts_made` having failed (1 after the first failure). */
  virtual double delay(int attempts_made, RandomSource& rng) const = 0;
  virtual std::string describe() const = 0;
  int max_attempts() const { return max_attempts_; }

private:
  int max_attempts_;
  std::vector<std::string> retry_on_;
};

using RetryPolicyPtr = std::shared_ptr<const RetryPolicy>;
using RetryPolicyRegistry = Registry<RetryPolicyPtr(const ConfigNode&)>;

const RetryPolicyRegistry& retry_policy_registry();

/** Reads `policy` (a registry name) and its parameters; no table at all means "none". */
RetryPolicyPtr make_retry_policy(const ConfigNode& table);
RetryPolicyPtr no_retry();

} // namespace apq
