package httpclient

import (
	"encoding/json"
	"math"
	"testing"
)

func TestNumber(t *testing.T) {
	for _, tc := range []struct {
		json    string
		want    float64
		set     bool
		wantErr bool
	}{
		{`1.5`, 1.5, true, false},
		{`-3e2`, -300, true, false},
		{`"0.003"`, 0.003, true, false},
		{`" 42 "`, 42, true, false},
		{`"NaN"`, math.NaN(), true, false},
		{`"Infinity"`, math.Inf(1), true, false},
		{`true`, 1, true, false},
		{`"false"`, 0, true, false},
		{`null`, 0, false, false},
		{`"N/A"`, 0, false, false},
		{`[1]`, 0, false, true},
		{`{"a":1}`, 0, false, true},
	} {
		t.Run(tc.json, func(t *testing.T) {
			var v struct {
				N Number `json:"n"`
			}
			v.N = Number{V: 7, Set: true} // a decoded null must reset it
			err := json.Unmarshal([]byte(`{"n":`+tc.json+`}`), &v)
			if tc.wantErr {
				if err == nil {
					t.Errorf("decoded %s as %+v, want an error", tc.json, v.N)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			same := v.N.V == tc.want || math.IsNaN(tc.want) && math.IsNaN(v.N.V)
			if v.N.Set != tc.set || !same {
				t.Errorf("decoded %s as %+v, want %v (set %v)", tc.json, v.N, tc.want, tc.set)
			}
		})
	}
	t.Run("absent", func(t *testing.T) {
		var v struct {
			N Number `json:"n"`
		}
		if err := json.Unmarshal([]byte(`{}`), &v); err != nil || v.N.Set {
			t.Errorf("absent field = %+v, %v, want unset", v.N, err)
		}
	})
}
