package sim

import (
	"math"
	"strings"
	"testing"
)

func TestTemplate(t *testing.T) {
	type state struct{ n float64 }
	const fixture = `{"a":{"b":1,"c":[10,20]},"d.e":"x","s":"old"}`
	tests := []struct {
		name    string
		build   func(d *doc[state])
		want    string
		wantErr string
	}{
		{
			name: "static document",
			want: `{"a":{"b":1,"c":[10,20]},"d.e":"x","s":"old"}`,
		},
		{
			name: "set, rename and bind",
			build: func(d *doc[state]) {
				d.set("s", "new")
				d.set("a.extra", true)
				d.rename("a", "z")
				d.bind("z.c.1", integer(func(s *state) float64 { return s.n }))
				d.bind("z.b", decimal(func(s *state) float64 { return s.n / 3 }, 2))
			},
			want: `{"d.e":"x","s":"new","z":{"b":14.00,"c":[10,42],"extra":true}}`,
		},
		{
			name: "holes in built structures",
			build: func(d *doc[state]) {
				d.set("", map[string]any{"k": d.hole(str(func(*state) string { return `q"\` }))})
			},
			want: `{"k":"q\"\\"}`,
		},
		{
			name:    "missing key",
			build:   func(d *doc[state]) { d.set("a.nope.b", 1) },
			wantErr: `path "a.nope.b": no key "nope"`,
		},
		{
			name:    "index out of range",
			build:   func(d *doc[state]) { d.bind("a.c.2", integer(func(*state) float64 { return 0 })) },
			wantErr: `no index "2" in an array of 2`,
		},
		{
			name: "hole overwritten",
			build: func(d *doc[state]) {
				d.bind("a.b", integer(func(*state) float64 { return 0 }))
				d.set("a", 1)
			},
			wantErr: "1 of 1 holes were overwritten",
		},
		{
			name:    "rename of a missing key",
			build:   func(d *doc[state]) { d.rename("a.x", "y") },
			wantErr: `rename "a.x": no such object key`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := parseDoc[state]([]byte(fixture))
			if err != nil {
				t.Fatal(err)
			}
			if tt.build != nil {
				tt.build(d)
			}
			tmpl, err := d.compile()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("compile: %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := string(tmpl.render(nil, &state{n: 42})); got != tt.want {
				t.Errorf("render = %s\nwant     %s", got, tt.want)
			}
		})
	}
}

func TestTemplateRejectsFixturesThatLookLikeHoles(t *testing.T) {
	d, err := parseDoc[struct{}]([]byte(`{"a":"\u00000"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.compile(); err == nil {
		t.Error("compile accepted a fixture string that looks like a hole")
	}
}

func TestAppendNumbers(t *testing.T) {
	for _, tt := range []struct {
		name string
		got  string
		want string
	}{
		{"integer rounds", string(appendInt(nil, 2.5)), "3"},
		{"integer of NaN", string(appendInt(nil, math.NaN())), "0"},
		{"decimal", string(appendDecimal(nil, 1.23456, 3)), "1.235"},
		{"control characters", string(appendString(nil, "a\nb")), `"a\u000ab"`},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}
