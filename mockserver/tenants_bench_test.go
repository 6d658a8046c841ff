package mockserver

import (
	"testing"
)

// BenchmarkCreateTenant creates tenants in process, as POST /_mock/tenants does without the
// HTTP: the key drawn from the id source, the account state, and a new account set published
// (its cost grows with the number of accounts, so the mock is kept at up to MaxTenants-1 of
// them: the worst case). Deleting them again, to stay under the limit, is not timed.
func BenchmarkCreateTenant(b *testing.B) {
	s, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ReportAllocs()
	for b.Loop() {
		if len(s.auth.set.Load().order) >= MaxTenants {
			b.StopTimer()
			for _, tn := range s.Tenants() {
				if err := s.DeleteTenant(tn.AccountID); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
		}
		if _, err := s.CreateTenant("bench"); err != nil {
			b.Fatal(err)
		}
	}
}
