package promref

import (
	"strconv"
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	const (
		vecAB = `{"status":"success","data":{"resultType":"vector","result":[
			{"metric":{"__name__":"up","job":"a"},"value":[1700000000,"1"]},
			{"metric":{"__name__":"up","job":"b"},"value":[1700000000,"0.5"]}]}}`
		vecBA = `{"status":"success","data":{"resultType":"vector","result":[
			{"metric":{"job":"b","__name__":"up"},"value":[1700000000,"0.5"]},
			{"metric":{"__name__":"up","job":"a"},"value":[1700000000,"1"]}]}}`
		vecA = `{"status":"success","data":{"resultType":"vector","result":[
			{"metric":{"__name__":"up","job":"a"},"value":[1700000000,"1"]}]}}`
		vecEmpty = `{"status":"success","data":{"resultType":"vector","result":[]}}`
		vecNull  = `{"status":"success","data":{"resultType":"vector","result":null}}`
		matrix   = `{"status":"success","data":{"resultType":"matrix","result":[
			{"metric":{"job":"a"},"values":[[1700000000,"1"],[1700000060.5,"2"],[1700000120,"+Inf"]]}]}}`
		parseErr = `{"status":"error","errorType":"bad_data","error":"1:5: parse error: unclosed left parenthesis"}`
	)
	vec := func(a, b string) string {
		return `{"status":"success","data":{"resultType":"vector","result":[
			{"metric":{"__name__":"up","job":"a"},"value":[1700000000,"` + a + `"]},
			{"metric":{"__name__":"up","job":"b"},"value":[1700000000,"` + b + `"]}]}}`
	}
	tests := []struct {
		name      string
		want, got string
		ordered   bool
		wantErr   []string // substrings of the error; none means no error
	}{
		{name: "equal", want: vecAB, got: vecAB},
		{name: "reordered", want: vecAB, got: vecBA},
		{name: "reordered when order matters", want: vecAB, got: vecBA, ordered: true,
			wantErr: []string{"order: position 0", `job="a"`, `job="b"`}},
		{name: "value within tolerance", want: vec("1", "0.5"), got: vec("1.0000000000001", "0.5")},
		{name: "value differs", want: vec("1", "0.5"), got: vec("1", "0.5001"),
			wantErr: []string{"1 difference", `{__name__="up", job="b"}`, "1700000000.000", "want 0.5, got 0.5001"}},
		{name: "NaN equals NaN", want: vec("NaN", "+Inf"), got: vec("NaN", "+Inf")},
		{name: "NaN against number", want: vec("NaN", "1"), got: vec("1", "1"), wantErr: []string{"want NaN, got 1"}},
		{name: "Inf against large number", want: vec("1", "+Inf"), got: vec("1", "1e308"), wantErr: []string{"want +Inf, got 1e308"}},
		{name: "negative zero equals zero", want: vec("-0", "1"), got: vec("0", "1")},
		{name: "missing series", want: vecAB, got: vecA, wantErr: []string{`series {__name__="up", job="b"}: missing from got`}},
		{name: "unexpected series", want: vecA, got: vecAB, wantErr: []string{`series {__name__="up", job="b"}: unexpected in got`}},
		{name: "empty equals empty", want: vecEmpty, got: vecEmpty},
		{name: "null instead of empty", want: vecEmpty, got: vecNull, wantErr: []string{"got: vector result is null, not []"}},
		{name: "empty instead of series", want: vecA, got: vecEmpty, wantErr: []string{"missing from got"}},
		{name: "timestamp differs",
			want: vecA, got: strings.Replace(vecA, "1700000000", "1700000000.001", 1),
			wantErr: []string{"at 1700000000.000", "missing from got", "at 1700000000.001", "unexpected in got"}},
		{name: "matrix equal", want: matrix, got: matrix},
		{name: "matrix point missing",
			want: matrix, got: strings.Replace(matrix, `[1700000060.5,"2"],`, "", 1),
			wantErr: []string{`series {job="a"} at 1700000060.500`, "missing from got (want 2)"}},
		{name: "matrix value differs",
			want: matrix, got: strings.Replace(matrix, `"+Inf"`, `"-Inf"`, 1),
			wantErr: []string{"want +Inf, got -Inf"}},
		{name: "matrix null",
			want:    `{"status":"success","data":{"resultType":"matrix","result":null}}`,
			got:     `{"status":"success","data":{"resultType":"matrix","result":[]}}`,
			wantErr: []string{"want: matrix result is null"}},
		{name: "scalar equal",
			want: `{"status":"success","data":{"resultType":"scalar","result":[4,"2"]}}`,
			got:  `{"status":"success","data":{"resultType":"scalar","result":[4.000,"2.0"]}}`},
		{name: "scalar differs",
			want:    `{"status":"success","data":{"resultType":"scalar","result":[4,"2"]}}`,
			got:     `{"status":"success","data":{"resultType":"scalar","result":[4,"3"]}}`,
			wantErr: []string{"scalar at 4.000", "want 2, got 3"}},
		{name: "string differs",
			want:    `{"status":"success","data":{"resultType":"string","result":[4,"a"]}}`,
			got:     `{"status":"success","data":{"resultType":"string","result":[4,"b"]}}`,
			wantErr: []string{`string: want "a", got "b"`}},
		{name: "result type differs", want: vecEmpty,
			got:     `{"status":"success","data":{"resultType":"matrix","result":[]}}`,
			wantErr: []string{`resultType: want "vector", got "matrix"`}},
		{name: "same error type", want: parseErr,
			got: `{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": something else"}`},
		{name: "error type differs", want: parseErr,
			got:     `{"status":"error","errorType":"execution","error":"boom"}`,
			wantErr: []string{`errorType: want "bad_data"`, `got "execution" (boom)`}},
		{name: "error instead of success", want: vecA, got: parseErr,
			wantErr: []string{`status: want "success", got "error"`, "unclosed left parenthesis"}},
		{name: "warnings ignored", want: vecA,
			got: strings.Replace(vecA, `"status":"success"`, `"status":"success","infos":["PromQL info: metric might not be a counter"]`, 1)},
		{name: "not JSON", want: vecA, got: "<html>", wantErr: []string{"decode got"}},
		{name: "many differences are cut",
			want: vecAB, got: vec("2", "3"),
			wantErr: []string{"2 difference(s)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			compare := Compare
			if tt.ordered {
				compare = CompareOrdered
			}
			err := compare([]byte(tt.want), []byte(tt.got))
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Compare: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Compare: no error, want one containing %q", tt.wantErr)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Compare error does not contain %q:\n%v", s, err)
				}
			}
		})
	}
}

func TestCompareReportsFirstDifferencesOnly(t *testing.T) {
	var want, got strings.Builder
	want.WriteString(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"a"},"values":[`)
	got.WriteString(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"a"},"values":[`)
	for i := range 20 {
		if i > 0 {
			want.WriteString(",")
			got.WriteString(",")
		}
		want.WriteString(`[` + strconv.Itoa(1000+i) + `,"1"]`)
		got.WriteString(`[` + strconv.Itoa(1000+i) + `,"2"]`)
	}
	want.WriteString(`]}]}}`)
	got.WriteString(`]}]}}`)
	err := Compare([]byte(want.String()), []byte(got.String()))
	if err == nil {
		t.Fatal("Compare: no error, want 20 differences")
	}
	if !strings.Contains(err.Error(), "20 difference(s) between want (reference) and got, first 5:") {
		t.Errorf("Compare error does not announce 20 differences, 5 shown:\n%v", err)
	}
	if n := strings.Count(err.Error(), "\n  "); n != maxReported {
		t.Errorf("Compare error lists %d differences, want %d:\n%v", n, maxReported, err)
	}
}
