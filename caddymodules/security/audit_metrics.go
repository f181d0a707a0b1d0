package security

import (
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// collectorSet is the Registerer the pooled trail registers its metrics
// with. It remembers them, because the trail outlives the config whose
// registry it was opened with: every later config's registry gets them too.
type collectorSet struct {
	mu         sync.Mutex
	collectors []prometheus.Collector
	first      prometheus.Registerer
}

func newCollectorSet(first *prometheus.Registry) *collectorSet {
	s := &collectorSet{}
	if first != nil { // a nil *Registry is not a nil Registerer
		s.first = first
	}
	return s
}

func (s *collectorSet) Register(c prometheus.Collector) error {
	s.mu.Lock()
	s.collectors = append(s.collectors, c)
	first := s.first
	s.mu.Unlock()
	if first == nil {
		return nil
	}
	return first.Register(c)
}

func (s *collectorSet) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := s.Register(c); err != nil {
			panic(err)
		}
	}
}

func (s *collectorSet) Unregister(c prometheus.Collector) bool {
	s.mu.Lock()
	s.collectors = slices.DeleteFunc(s.collectors, func(x prometheus.Collector) bool { return x == c })
	first := s.first
	s.mu.Unlock()
	return first != nil && first.Unregister(c)
}

// registerIn registers every remembered collector in reg (a later config's).
func (s *collectorSet) registerIn(reg *prometheus.Registry) {
	if reg == nil {
		return
	}
	s.mu.Lock()
	cs := slices.Clone(s.collectors)
	s.mu.Unlock()
	for _, c := range cs {
		_ = reg.Register(c) // already there: nothing to do
	}
}

var _ prometheus.Registerer = (*collectorSet)(nil)
