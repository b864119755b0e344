package promref

import (
	"fmt"
	"sort"

	"github.com/prometheus/prometheus/model/labels"
)

// Appender is a storage transaction that Load writes to, such as
// pipewatch's storage.Appender.
type Appender interface {
	Append(ref uint64, l labels.Labels, t int64, v float64) (uint64, error)
	Commit() error
}

// Load appends series through transactions from newAppender in time order
// (a TSDB head accepts only samples near its newest one), committing every
// batch samples.
func Load[A Appender](newAppender func() A, series []Series, batch int) error {
	type sampleRef struct{ series, sample int }
	var all []sampleRef
	for i, s := range series {
		for j := range s.Samples {
			all = append(all, sampleRef{i, j})
		}
	}
	sort.SliceStable(all, func(a, b int) bool {
		return series[all[a].series].Samples[all[a].sample].T < series[all[b].series].Samples[all[b].sample].T
	})
	refs := make([]uint64, len(series))
	app := newAppender()
	for n, r := range all {
		s := series[r.series]
		smp := s.Samples[r.sample]
		var err error
		if refs[r.series], err = app.Append(refs[r.series], s.Labels, smp.T, smp.V); err != nil {
			return fmt.Errorf("append %s at %d: %w", s.Labels, smp.T, err)
		}
		if (n+1)%batch == 0 {
			if err := app.Commit(); err != nil {
				return fmt.Errorf("commit: %w", err)
			}
			app = newAppender()
		}
	}
	if err := app.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
