// Background threads of the store run at a lower CPU priority than the
// threads that call into it.
#pragma once

namespace trine {

// Lowers the calling thread's priority (nice 10; Linux keeps a nice value
// per thread). For the store's background threads: on a small machine the
// writer would otherwise be preempted for whole scheduler slices (5-15 ms)
// whenever flush, compaction, log writing and a memtable's ordering thread
// are busy at once. Best effort: failure leaves the priority as it was.
void LowerThreadPriority();

}  // namespace trine
