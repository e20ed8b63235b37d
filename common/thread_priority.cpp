#include "common/thread_priority.h"

#include <unistd.h>

#include <sys/resource.h>
#include <sys/syscall.h>

namespace trine {

void LowerThreadPriority() {
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
}

}  // namespace trine
