package forecast_test

import (
	"fmt"
	"time"

	"github.com/pipewatch/pipewatch/rules/forecast"
)

// A consumer group's lag, sampled every 5 s, grows by 100 messages per
// second: when does it reach 100,000?
func ExampleETA() {
	var ts []int64
	var lag []float64
	for i := range 120 { // 10 minutes
		ts = append(ts, int64(i)*5000)
		lag = append(lag, 20_000+100*float64(i)*5)
	}
	e, err := forecast.ETA(ts, lag, 100_000, 30*time.Minute, forecast.Options{Method: forecast.TheilSen, Window: 10 * time.Minute})
	if err != nil {
		panic(err)
	}
	fmt.Println(e.Status, e.ETA, e.Within(15*time.Minute))
	// Output: crossing 3m25s true
}

// Multi-window confirmation: a two-minute pause at the end of an otherwise
// flat hour alarms the 5-minute window but not the hour.
func ExampleConfirm() {
	var ts []int64
	var lag []float64
	for i := range 720 {
		v := 1000.0
		if i >= 696 { // the last 2 minutes: consumer paused, lag +500/s
			v += 500 * float64(i-695) * 5
		}
		ts = append(ts, int64(i)*5000)
		lag = append(lag, v)
	}
	var w forecast.Workspace
	short, _ := w.ETA(ts, lag, 200_000, 30*time.Minute, forecast.Options{Window: 5 * time.Minute})
	long, _ := w.ETA(ts, lag, 200_000, 30*time.Minute, forecast.Options{Window: time.Hour})
	fmt.Println(short.Status, long.Status, forecast.Confirm(short, long).Status)
	// Output: crossing clear clear
}
