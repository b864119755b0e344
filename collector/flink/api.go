package flink

import (
	"math"
	"strings"
)

// The types below decode the parts of Flink's REST responses that pipewatch
// uses. Fields that a response must have are pointers, so that a missing
// field is told apart from an empty one.

// overview is GET /jobs/overview.
type overview struct {
	Jobs *[]overviewJob `json:"jobs"`
}

type overviewJob struct {
	ID    string            `json:"jid"`
	Name  string            `json:"name"`
	State string            `json:"state"`
	Tasks map[string]number `json:"tasks"`
}

// jobDetail is GET /jobs/:jobid.
type jobDetail struct {
	// Now is the JobManager's clock when it answered, in milliseconds.
	Now      number    `json:"now"`
	Vertices *[]vertex `json:"vertices"`
}

type vertex struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// checkpoints is GET /jobs/:jobid/checkpoints.
type checkpoints struct {
	Latest *struct {
		Completed *struct {
			LatestAck number `json:"latest_ack_timestamp"`
		} `json:"completed"`
	} `json:"latest"`
}

// lastAck returns when the last completed checkpoint was acknowledged, in
// milliseconds since the epoch, or 0 if there is none.
func (c *checkpoints) lastAck() float64 {
	if c.Latest == nil || c.Latest.Completed == nil || !c.Latest.Completed.LatestAck.Set {
		return 0
	}
	return c.Latest.Completed.LatestAck.V
}

// metricValue is an element of GET .../metrics?get=...; Flink sends every
// value as a string.
type metricValue struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// aggValue is an element of GET .../subtasks/metrics?get=...&agg=....
type aggValue struct {
	ID  string `json:"id"`
	Min number `json:"min"`
	Max number `json:"max"`
	Sum number `json:"sum"`
}

// pick returns the aggregate a selects, skipping NaN (Flink reports NaN for
// figures it could not measure yet).
func (a *aggValue) pick(g agg) number {
	var n number
	switch g {
	case aggSum:
		n = a.Sum
	case aggMax:
		n = a.Max
	default:
		n = a.Min
	}
	if math.IsNaN(n.V) {
		return number{}
	}
	return n
}

// taskManagers is GET /taskmanagers.
type taskManagers struct {
	TaskManagers *[]taskManager `json:"taskmanagers"`
}

type taskManager struct {
	ID    string `json:"id"`
	Slots number `json:"slotsNumber"`
	Free  number `json:"freeSlots"`
}

// cutLast slices s around the last instance of sep.
func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

func nan() float64 { return math.NaN() }
