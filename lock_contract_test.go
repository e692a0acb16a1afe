package chargedesk_test

import (
	"testing"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
)

// The in-process backends keep the contract the shared ones do; "two
// instances" share one MemoryLocker here, as they share a database there.
func TestMemoryBackendsContract(t *testing.T) {
	shared := chargedesk.NewMemoryLocker()
	chargedesktest.TestLocker(t, func(*testing.T) chargedesk.Locker { return shared })
	chargedesktest.TestDuplicateStore(t, chargedesk.NewMemoryDuplicateStore())
}

// Receivers in one process sharing one MemoryLocker and one
// MemoryDuplicateStore perform an identical refund once.
func TestInstancesWithSharedMemoryBackends(t *testing.T) {
	locker, store := chargedesk.NewMemoryLocker(), chargedesk.NewMemoryDuplicateStore()
	chargedesktest.TestInstances(t,
		func(*testing.T) chargedesk.Locker { return locker },
		func(*testing.T) chargedesk.DuplicateStore { return store })
}

// BenchmarkBackendMemory is the baseline of the backends' benchmarks.
func BenchmarkBackendMemory(b *testing.B) {
	chargedesktest.BenchmarkBackend(b, chargedesk.NewMemoryLocker(), chargedesk.NewMemoryDuplicateStore())
}
