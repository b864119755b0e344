package collector

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		max  int
		add  int
		want string // Err's message; "" for nil
	}{
		{"nothing failed", 5, 0, ""},
		{"a few", 5, 2, "e0\ne1"},
		{"exactly max", 3, 3, "e0\ne1\ne2"},
		{"more than max", 2, 5, "e0\ne1\nand 3 more failures"},
		{"no max", 0, 7, "e0\ne1\ne2\ne3\ne4\ne5\ne6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &Errors{Max: tc.max}
			e.Add(nil)
			for i := range tc.add {
				e.Add(fmt.Errorf("e%d", i))
			}
			if e.Len() != tc.add {
				t.Errorf("Len = %d, want %d", e.Len(), tc.add)
			}
			err, partial := e.Err(), e.Partial()
			if tc.want == "" {
				if err != nil || partial != nil {
					t.Errorf("Err, Partial = %v, %v, want nil", err, partial)
				}
				return
			}
			if err == nil || err.Error() != tc.want || IsPartial(err) {
				t.Errorf("Err = %v, want the plain error %q", err, tc.want)
			}
			if !IsPartial(partial) || partial.Error() != "partial collection: "+tc.want {
				t.Errorf("Partial = %v, want a PartialError of %q", partial, tc.want)
			}
		})
	}
	t.Run("keeps the errors", func(t *testing.T) {
		cause := errors.New("cause")
		var e Errors
		e.Add(fmt.Errorf("fetch x: %w", cause))
		if !errors.Is(e.Partial(), cause) {
			t.Errorf("Partial() = %v, does not wrap its cause", e.Partial())
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		var e Errors
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() { e.Add(fmt.Errorf("e%d", i)) })
		}
		wg.Wait()
		if e.Len() != 50 || strings.Count(e.Err().Error(), "\n") != 49 {
			t.Errorf("got %d errors, want 50", e.Len())
		}
	})
}

func TestSanitizeLabelValue(t *testing.T) {
	for _, tc := range []struct {
		in    string
		limit int
		want  string
	}{
		{"java.lang.RuntimeException: x\n\tat A.b(A.java:1)\r\n", 100, "java.lang.RuntimeException: x at A.b(A.java:1)"},
		{"  lead   and trail \x7f ", 100, "lead and trail"},
		{"ééééé", 8, "éé..."},
		{"ééééé", 10, "ééééé"},
		{"abcdef", 3, "abc"},
		{"ébc", 1, ""},
		{"bad \xff byte", 100, "bad byte"},
		{"", 10, ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got := SanitizeLabelValue(tc.in, tc.limit)
			if got != tc.want {
				t.Errorf("SanitizeLabelValue(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
			}
			if len(got) > tc.limit {
				t.Errorf("%q is longer than %d bytes", got, tc.limit)
			}
		})
	}
}
