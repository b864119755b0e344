package sim

import (
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pipewatch/pipewatch/demo"
)

// Every simulated Flink job runs two vertices of parallelism two: a Kafka
// source chained with its parsing, and the job's processing chained with
// its sink. It checkpoints, and commits its Kafka offsets, every
// flinkCheckpointInterval, as the demo's job groups commit.
const (
	flinkParallelism        = 2
	flinkCheckpointInterval = 10 * time.Second
	flinkRecordBytes        = 140
	flinkBufferBytes        = 32 << 10
	flinkSourceOperator     = "Source: Kafka"
	// flinkPeakUtilization is how busy a job's sink vertex is at the job's
	// daily peak: busy enough that the source is back-pressured for a
	// while, not enough for the back-pressure alert.
	flinkPeakUtilization = 0.92
)

// flinkJob is one member-less job group of the demo catalog run as a
// Flink job reading its module's topics.
type flinkJob struct {
	id, name   string
	topics     []*topicTraffic
	partitions []flinkPartition
	peak       float64 // highest rate over a day
	started    float64 // seconds the job ran before the simulation started
	source     flinkVertex
	sink       flinkVertex
}

// flinkPartition is a partition the job's source reads, and the source
// subtask that owns it.
type flinkPartition struct {
	topic   *topicTraffic
	index   int
	subtask int
	prefix  string // of its metric ids: <operator>.KafkaSourceReader.topic.<topic>.partition.<index>.
}

// flinkVertex is a vertex of a job: its ids, name and operator (as named
// in metric ids), the metrics of each subtask and the union of their ids.
type flinkVertex struct {
	id, name string
	operator string
	subtasks []flinkMetrics
	ids      []string
}

// newFlinkJob builds the job of group, the index-th job of the cluster,
// from module m.
func newFlinkJob(t *traffic, m demo.Module, group string, index int, base flinkMetrics) *flinkJob {
	j := &flinkJob{
		id:      hexID(group),
		name:    group,
		topics:  t.lookup(m.Topics),
		started: float64(2*3600 + index*37*60),
	}
	for i := range cellsPerDay {
		j.peak = max(j.peak, t.rate(j.topics, cellMid(t.day, i)))
	}
	src := flinkOperatorID(flinkSourceOperator)
	n := 0
	for _, tt := range j.topics {
		for i := range tt.shares {
			j.partitions = append(j.partitions, flinkPartition{
				topic: tt, index: i, subtask: n % flinkParallelism,
				prefix: src + ".KafkaSourceReader.topic." + flinkOperatorID(tt.name) + ".partition." + strconv.Itoa(i) + ".",
			})
			n++
		}
	}

	sinkOp := "Sink: " + jobSink(m)
	j.source = flinkVertex{id: hexID(group + "/source"), name: flinkSourceOperator + " -> Map -> Filter", operator: src}
	j.sink = flinkVertex{id: hexID(group + "/sink"), name: "KeyedProcess -> " + sinkOp, operator: flinkOperatorID(sinkOp)}
	sourceBase := base.renamed("Source__Custom_Source", src)
	sinkBase := base.renamed("Source__Custom_Source", j.sink.operator)
	for s := range flinkParallelism {
		extra := flinkMetrics{values: map[string]string{}}
		for _, id := range []string{"pendingRecords", "KafkaSourceReader.commitsSucceeded", "KafkaSourceReader.commitsFailed",
			"KafkaSourceReader.KafkaConsumer.records-lag-max", "KafkaSourceReader.KafkaConsumer.records-consumed-rate"} {
			extra.add(src+"."+id, "0")
		}
		for _, p := range j.partitions {
			if p.subtask == s {
				extra.add(p.prefix+"currentOffset", "0")
				extra.add(p.prefix+"committedOffset", "0")
			}
		}
		j.source.subtasks = append(j.source.subtasks, sourceBase.with(extra))
		sinkExtra := flinkMetrics{values: map[string]string{}}
		sinkExtra.add("currentInputWatermark", "0")
		sinkExtra.add(j.sink.operator+".currentInputWatermark", "0")
		j.sink.subtasks = append(j.sink.subtasks, sinkBase.with(sinkExtra))
	}
	j.source.ids = unionIDs(j.source.subtasks)
	j.sink.ids = unionIDs(j.sink.subtasks)
	return j
}

// jobSink returns the sink a job of m writes to: the module's first sink
// other than Elasticsearch (which the module's indexer groups write), or
// its first sink.
func jobSink(m demo.Module) string {
	for _, s := range m.Sinks {
		if !strings.HasPrefix(s, "es:") {
			return s
		}
	}
	if len(m.Sinks) > 0 {
		return m.Sinks[0]
	}
	return "discarding"
}

// flinkJobState is a job at one moment.
type flinkJobState struct {
	m                     moment
	rate                  float64 // records per second read now
	read                  float64 // records read so far
	utilization           float64 // of the sink vertex
	backPressure          float64 // milliseconds per second the source is back-pressured
	uptimeMillis          float64
	checkpoints           float64 // completed since submission
	inProgress            float64 // checkpoints in progress (0 or 1)
	lastTrigger, lastAck  float64 // milliseconds since the epoch
	checkpointMillis      float64 // duration of the last completed checkpoint
	checkpointBytes       float64 // its size
	committedAt           time.Duration
	sourceLag, sourceRead []float64 // by partition: records behind and read
}

// state computes the job at moment m.
func (j *flinkJob) state(w *world, m moment) *flinkJobState {
	t := w.traffic
	s := &flinkJobState{m: m, rate: t.rate(j.topics, m.elapsed), uptimeMillis: math.Floor((j.started + m.secs) * 1000)}
	s.utilization = j.utilization(t, m.elapsed)
	s.backPressure = 600 * clamp((s.utilization-0.8)/0.2, 0, 1)

	// Checkpoint k (k >= 1) is triggered k intervals into the run and takes
	// a fraction of a second; before the run the job completed one per
	// interval too.
	interval := flinkCheckpointInterval.Seconds()
	k := math.Floor(m.secs / interval)
	duration := func(k float64) float64 { return math.Round(w.draw(j.name+"/checkpoint", k, 60, 420)) }
	completed := k
	if k >= 1 && m.secs-k*interval < duration(k)/1000 {
		completed, s.inProgress = k-1, 1
	}
	before := math.Floor(j.started / interval)
	s.checkpoints = before + completed
	last := max(completed, 0)
	s.checkpointMillis = duration(last)
	s.lastTrigger = float64(w.start.UnixMilli()) + last*interval*1000
	s.lastAck = s.lastTrigger + s.checkpointMillis
	s.checkpointBytes = 2<<20 + 6<<20*s.rate/max(j.peak, 1e-9)
	s.committedAt = time.Duration(last * float64(flinkCheckpointInterval))

	s.sourceLag = make([]float64, len(j.partitions))
	s.sourceRead = make([]float64, len(j.partitions))
	for i := range j.partitions {
		s.sourceRead[i], s.sourceLag[i] = j.position(t, i, m.elapsed)
		s.read += s.sourceRead[i]
	}
	return s
}

// utilization returns how busy the job's sink vertex is elapsed into the
// run.
func (j *flinkJob) utilization(t *traffic, elapsed time.Duration) float64 {
	return flinkPeakUtilization * t.rate(j.topics, elapsed) / max(j.peak, 1e-9)
}

// position returns the offset up to which the job's source has read
// partition i elapsed into the run, and how far behind the partition's end
// that is: a fraction of a second of records, more when back-pressured.
func (j *flinkJob) position(t *traffic, i int, elapsed time.Duration) (read, lag float64) {
	p := j.partitions[i]
	behind := 0.2 + 2*clamp((j.utilization(t, elapsed)-0.8)/0.2, 0, 1)
	lag = math.Round(t.p.TopicRate(p.topic.name, elapsed) * p.topic.shares[p.index] * behind)
	return max(p.topic.offset(p.index, elapsed)-lag, 0), lag
}

// committedOffset returns the offset the job's source committed for
// partition i at the last checkpoint.
func (j *flinkJob) committedOffset(w *world, s *flinkJobState, i int) float64 {
	read, _ := j.position(w.traffic, i, s.committedAt)
	return read
}

// jobMetrics returns the moving job metrics of /jobs/:jid/metrics.
func (j *flinkJob) jobMetrics(s *flinkJobState) map[string]float64 {
	return map[string]float64{
		"uptime":                         s.uptimeMillis,
		"downtime":                       0,
		"numRestarts":                    0,
		"fullRestarts":                   0,
		"restartingTime":                 0,
		"numberOfCompletedCheckpoints":   s.checkpoints,
		"numberOfFailedCheckpoints":      0,
		"numberOfInProgressCheckpoints":  s.inProgress,
		"totalNumberOfCheckpoints":       s.checkpoints + s.inProgress,
		"lastCheckpointDuration":         s.checkpointMillis,
		"lastCheckpointSize":             math.Round(s.checkpointBytes),
		"lastCheckpointRestoreTimestamp": float64(s.m.now.UnixMilli()) - s.uptimeMillis,
	}
}

// subtaskValues returns the current values of every subtask of v.
func (j *flinkJob) subtaskValues(w *world, s *flinkJobState, v *flinkVertex) []map[string]string {
	source := v == &j.source
	watermark := float64(s.m.now.UnixMilli()) - math.Round(w.wander(j.name+"/watermark", s.m, 5, 1500, 4000))
	out := make([]map[string]string, len(v.subtasks))
	for st := range v.subtasks {
		key := fmt.Sprintf("%s/%s/%d", j.name, v.operator, st)
		busy := 1000 * clamp(s.utilization*w.wander(key+"/busy", s.m, 6, 0.9, 1.08), 0, 1)
		moving := map[string]float64{
			"checkpointStartDelayNanos": math.Round(w.wander(key+"/delay", s.m, 9, 1e6, 4e7)),
		}
		if source {
			j.sourceSubtask(w, s, st, busy, watermark, moving)
		} else {
			j.sinkSubtask(s, busy, watermark, moving)
		}
		vals := v.subtasks[st].current(moving)
		if _, ok := vals["isBackPressured"]; ok {
			vals["isBackPressured"] = strconv.FormatBool(source && s.backPressure > 0)
		}
		out[st] = vals
	}
	return out
}

// sourceSubtask adds the moving metrics of source subtask st to moving:
// what it read from its partitions, its Kafka offsets and its
// back-pressure.
func (j *flinkJob) sourceSubtask(w *world, s *flinkJobState, st int, busy, watermark float64, moving map[string]float64) {
	rate, read, lag, maxLag := 0.0, 0.0, 0.0, 0.0
	for i, p := range j.partitions {
		if p.subtask != st {
			continue
		}
		rate += w.traffic.p.TopicRate(p.topic.name, s.m.elapsed) * p.topic.shares[p.index]
		read += s.sourceRead[i]
		lag += s.sourceLag[i]
		maxLag = max(maxLag, s.sourceLag[i])
		moving[p.prefix+"currentOffset"] = s.sourceRead[i]
		moving[p.prefix+"committedOffset"] = j.committedOffset(w, s, i)
	}
	busy = min(busy, 1000-s.backPressure)
	usage := clamp(0.1+s.backPressure/700, 0, 1)
	op := j.source.operator + "."
	for id, v := range map[string]float64{
		"numRecordsOut": read, "numRecordsOutPerSecond": rate,
		"numBytesOut": read * flinkRecordBytes, "numBytesOutPerSecond": rate * flinkRecordBytes,
		"numBuffersOut":          math.Floor(read * flinkRecordBytes / flinkBufferBytes),
		"numBuffersOutPerSecond": rate * flinkRecordBytes / flinkBufferBytes,
		"busyTimeMsPerSecond":    math.Round(busy), "backPressuredTimeMsPerSecond": math.Round(s.backPressure),
		"idleTimeMsPerSecond":  math.Round(max(1000-busy-s.backPressure, 0)),
		"buffers.outPoolUsage": usage, "Shuffle.Netty.Output.Buffers.outPoolUsage": usage,
		"buffers.outputQueueLength": math.Round(usage * 8), "Shuffle.Netty.Output.Buffers.outputQueueLength": math.Round(usage * 8),
		op + "numRecordsIn": read, op + "numRecordsInPerSecond": rate,
		op + "numRecordsOut": read, op + "numRecordsOutPerSecond": rate,
		op + "currentOutputWatermark": watermark, op + "pendingRecords": lag,
		op + "KafkaSourceReader.commitsSucceeded":                    s.checkpoints,
		op + "KafkaSourceReader.KafkaConsumer.records-lag-max":       maxLag,
		op + "KafkaSourceReader.KafkaConsumer.records-consumed-rate": rate,
	} {
		moving[id] = v
	}
}

// sinkSubtask adds the moving metrics of a subtask of the sink vertex to
// moving: half of what the source read, and how busy it is.
func (j *flinkJob) sinkSubtask(s *flinkJobState, busy, watermark float64, moving map[string]float64) {
	rate, in := s.rate/flinkParallelism, s.read/flinkParallelism
	usage := clamp(s.utilization-0.4, 0, 1)
	op := j.sink.operator + "."
	for id, v := range map[string]float64{
		"numRecordsIn": in, "numRecordsInPerSecond": rate,
		"numBytesIn": in * flinkRecordBytes, "numBytesInPerSecond": rate * flinkRecordBytes,
		"numBytesInRemote": in * flinkRecordBytes, "numBytesInRemotePerSecond": rate * flinkRecordBytes,
		"numRecordsOut": 0, "numRecordsOutPerSecond": 0, "numBytesOut": 0, "numBytesOutPerSecond": 0,
		"numBuffersOut": 0, "numBuffersOutPerSecond": 0,
		"busyTimeMsPerSecond": math.Round(busy), "backPressuredTimeMsPerSecond": 0,
		"idleTimeMsPerSecond": math.Round(1000 - busy),
		"buffers.inPoolUsage": usage, "Shuffle.Netty.Input.Buffers.inPoolUsage": usage,
		"buffers.inputQueueLength": math.Round(usage * 8), "buffers.outPoolUsage": 0,
		"currentInputWatermark": watermark,
		op + "numRecordsIn":     in, op + "numRecordsInPerSecond": rate,
		op + "numRecordsOut": in, op + "numRecordsOutPerSecond": rate,
		op + "currentInputWatermark": watermark, op + "currentOutputWatermark": watermark,
	} {
		moving[id] = v
	}
}

// unionIDs returns the ids any of the metric sets has, in order of first
// appearance.
func unionIDs(sets []flinkMetrics) []string {
	seen := map[string]bool{}
	var ids []string
	for _, set := range sets {
		for _, id := range set.ids {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// flinkOperatorID returns name as Flink writes it in metric ids: spaces,
// dots, colons and commas replaced by underscores.
func flinkOperatorID(name string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '.', ':', ',':
			return '_'
		}
		return r
	}, name)
}

// hexID returns a 32-digit hexadecimal id, as Flink's job and vertex ids,
// derived from name.
func hexID(name string) string {
	h := fnv.New64a()
	h.Write([]byte(name))
	x := h.Sum64()
	return fmt.Sprintf("%016x%016x", splitmix(x), splitmix(x^seed))
}
