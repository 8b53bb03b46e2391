// The crypto operations a guest sends to a card, in the granularity of the zcrypt speed-rating table.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace apq {

/** rsa_me_* = ICARSAMODEXPO (public key), rsa_crt_* = ICARSACRT (private key), by modulus size; rng = one 4 KiB
 *  random request; seckey_* = a CCA/EP11 CPRB of the LOW/MEDIUM/HIGH class; ecc = ECC sign or verify, which
 *  costs a MEDIUM CPRB (calibration notes section 4). */
enum class Operation : uint8_t {
  rsa_me_1k,
  rsa_me_2k,
  rsa_me_4k,
  rsa_crt_1k,
  rsa_crt_2k,
  rsa_crt_4k,
  rng,
  seckey_low,
  seckey_medium,
  seckey_high,
  ecc,
};

constexpr std::size_t kOperationCount = 11;

constexpr std::size_t index_of(Operation op) {
  return static_cast<std::size_t>(op);
}

/** The config spelling, e.g. "rsa_crt_2k". */
std::string_view operation_name(Operation op);
/** The operation spelled `name` (case-insensitive), or nullopt. */
std::optional<Operation> find_operation(std::string_view name);
/** "rsa_me_1k, rsa_me_2k, ..." for error messages. */
std::string operation_names();
/** "unknown operation 'x'; did you mean ...? valid: rsa_me_1k, ..." */
std::string unknown_operation_message(std::string_view name);
/** Every operation, in enum order. */
const std::array<Operation, kOperationCount>& all_operations();

} // namespace apq
