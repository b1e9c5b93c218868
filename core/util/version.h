// The fixpoint release, written into manifests and reported by the server.
#ifndef FIXPOINT_CORE_UTIL_VERSION_H_
#define FIXPOINT_CORE_UTIL_VERSION_H_

namespace fixpoint {

inline constexpr char kFixpointVersion[] = "0.4.0";

}  // namespace fixpoint

#endif  // FIXPOINT_CORE_UTIL_VERSION_H_
