#pragma once

#include <string>
#include <string_view>

namespace apq {

/** @brief SHA-256 digest of `data` as 64 lowercase hex characters (FIPS 180-4, section 6.2).
 *
 * Used to fingerprint configs and results in run manifests; our own implementation so that analysis/ needs no
 * crypto library. */
std::string sha256_hex(std::string_view data);

} // namespace apq
